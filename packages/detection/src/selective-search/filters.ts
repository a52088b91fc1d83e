import type { Channels } from './image.js';

/**
 * The OpenCV image filters selective search relies on: Gaussian blur, Scharr derivatives and affine
 * warps, with OpenCV's kernels, borders and fixed-point sampling. The float sums run in plain order,
 * where OpenCV's SIMD code may group them otherwise (the tests measure the agreement).
 */

/** OpenCV's BORDER_REFLECT_101 (c b | a b c d | c b) of index i into [0, n). */
export function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * n - 2;
  let j = ((i % period) + period) % period;
  if (j >= n) j = period - j;
  return j;
}

/** cv::getGaussianKernel(n, sigma, CV_32F). */
function gaussianKernel(n: number, sigma: number): Float32Array {
  const scale = -0.5 / (sigma * sigma);
  const kernel = new Float32Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = i - (n - 1) * 0.5;
    kernel[i] = Math.exp(scale * x * x);
    sum += kernel[i]!;
  }
  for (let i = 0; i < n; i++) kernel[i] = kernel[i]! * (1 / sum);
  return kernel;
}

/** Correlates every channel with `rowKernel` along x, then `colKernel` along y (BORDER_REFLECT_101). */
export function sepFilter(image: Channels, rowKernel: ArrayLike<number>, colKernel: ArrayLike<number>): Float32Array {
  const { data, height, width, channels: c } = image;
  const tmp = new Float32Array(height * width * c);
  const out = new Float32Array(height * width * c);
  const rr = (rowKernel.length - 1) / 2;
  const cr = (colKernel.length - 1) / 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let k = -rr; k <= rr; k++) acc += rowKernel[k + rr]! * data[(y * width + reflect101(x + k, width)) * c + ch]!;
        tmp[(y * width + x) * c + ch] = acc;
      }
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let k = -cr; k <= cr; k++) acc += colKernel[k + cr]! * tmp[(reflect101(y + k, height) * width + x) * c + ch]!;
        out[(y * width + x) * c + ch] = acc;
      }
    }
  }
  return out;
}

/** cv::GaussianBlur(src as CV_32F, Size(0, 0), sigma): kernel size round(8 sigma + 1) | 1. */
export function gaussianBlur(image: Channels, sigma: number): Float32Array {
  const n = Math.round(sigma * 8 + 1) | 1;
  const kernel = gaussianKernel(n, sigma);
  return sepFilter(image, kernel, kernel);
}

/** cv::Scharr(plane, CV_32F, dx, dy) for one channel: [-1 0 1] x [3 10 3]. */
export function scharr(plane: Channels, direction: 'x' | 'y'): Float32Array {
  const derivative = [-1, 0, 1];
  const smooth = [3, 10, 3];
  return direction === 'x' ? sepFilter(plane, derivative, smooth) : sepFilter(plane, smooth, derivative);
}

/** A 2 x 3 affine matrix [a, b, c, d, e, f]: (x, y) -> (a x + b y + c, d x + e y + f). */
export type Affine = [number, number, number, number, number, number];

/** cv::getRotationMatrix2D(center, angle in degrees, scale 1). */
export function rotationMatrix(cx: number, cy: number, degrees: number): Affine {
  const angle = (degrees * Math.PI) / 180;
  const alpha = Math.cos(angle);
  const beta = Math.sin(angle);
  return [alpha, beta, (1 - alpha) * cx - beta * cy, -beta, alpha, beta * cx + (1 - alpha) * cy];
}

/** cvRound: to nearest, half-way cases to even. */
function cvRound(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * cv::warpAffine(src, dst, M, size) for one channel, bilinear, constant 0 border, in OpenCV's fixed
 * point: M is inverted in float64, source positions are formed in 1/1024 pixel and cut to 1/32, and the
 * four taps weigh (32 - fx)(32 - fy)/1024 and so on. An 8-bit source (`bytes`) is interpolated in
 * integers with weights scaled by 2^15 and rounded, a float source in float32, as OpenCV's remap does.
 */
export function warpAffine(plane: Channels, m: Affine, outWidth: number, outHeight: number, bytes: boolean): Float32Array {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  const inv = det !== 0 ? 1 / det : 0;
  const ia = e * inv, ib = -b * inv, id = -d * inv, ie = a * inv;
  const ic = -ia * c - ib * f, iff = -id * c - ie * f;
  const { data, height, width } = plane;
  const at = (x: number, y: number) => (x >= 0 && y >= 0 && x < width && y < height ? data[y * width + x]! : 0);
  const adelta = Int32Array.from({ length: outWidth }, (_, x) => cvRound(ia * x * 1024));
  const bdelta = Int32Array.from({ length: outWidth }, (_, x) => cvRound(id * x * 1024));
  const f32 = Math.fround;
  const out = new Float32Array(outWidth * outHeight);
  for (let y = 0; y < outHeight; y++) {
    const x0 = cvRound((ib * y + ic) * 1024) + 16;
    const y0 = cvRound((ie * y + iff) * 1024) + 16;
    for (let x = 0; x < outWidth; x++) {
      const sx = (x0 + adelta[x]!) >> 5;
      const sy = (y0 + bdelta[x]!) >> 5;
      const px = sx >> 5, py = sy >> 5;
      const fx = sx & 31, fy = sy & 31;
      const s00 = at(px, py), s01 = at(px + 1, py), s10 = at(px, py + 1), s11 = at(px + 1, py + 1);
      if (bytes) {
        const w = (i: number, j: number) => i * j * 32;
        const sum = s00 * w(32 - fy, 32 - fx) + s01 * w(32 - fy, fx) + s10 * w(fy, 32 - fx) + s11 * w(fy, fx);
        out[y * outWidth + x] = Math.min(255, (sum + (1 << 14)) >> 15);
      } else {
        const w = (i: number, j: number) => f32((i / 32) * (j / 32));
        out[y * outWidth + x] = f32(f32(f32(f32(s00 * w(32 - fy, 32 - fx)) + f32(s01 * w(32 - fy, fx))) + f32(s10 * w(fy, 32 - fx))) + f32(s11 * w(fy, fx)));
      }
    }
  }
  return out;
}
