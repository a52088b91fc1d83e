import { type Affine, rotationMatrix, scharr, warpAffine } from './filters.js';
import type { Channels } from './image.js';

/** OpenCV's RotatedRect(center, size, degrees).boundingRect(): [x, y, width, height]. */
function rotatedBoundingRect(cx: number, cy: number, w: number, h: number, degrees: number): [number, number, number, number] {
  const angle = (degrees * Math.PI) / 180;
  const b = Math.fround(Math.cos(angle) * 0.5);
  const a = Math.fround(Math.sin(angle) * 0.5);
  const p0 = [cx - a * h - b * w, cy + b * h - a * w];
  const p1 = [cx + a * h - b * w, cy - b * h - a * w];
  const xs = [p0[0]!, p1[0]!, 2 * cx - p0[0]!, 2 * cx - p1[0]!].map(Math.fround);
  const ys = [p0[1]!, p1[1]!, 2 * cy - p0[1]!, 2 * cy - p1[1]!].map(Math.fround);
  const x = Math.floor(Math.min(...xs));
  const y = Math.floor(Math.min(...ys));
  return [x, y, Math.ceil(Math.max(...xs)) - x + 1, Math.ceil(Math.max(...ys)) - y + 1];
}

/** Splits a gradient into its positive part and its negative part (THRESH_TOZERO and _INV at 0). */
function signedParts(gradient: Float32Array): [Float32Array, Float32Array] {
  return [gradient.map((v) => (v > 0 ? v : 0)), gradient.map((v) => (v > 0 ? 0 : v))];
}

/** convertTo(CV_8U) after scaling [min, max] onto [0, 255]. */
function normalise(plane: Float32Array): Uint8Array {
  let min = Infinity, max = -Infinity;
  for (const v of plane) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  // convertTo(CV_8U, alpha, beta) scales in float32 with a fused multiply-add and rounds half to even.
  const alpha = Math.fround(255 / (max - min));
  const beta = Math.fround((-255 * min) / (max - min));
  const out = new Uint8Array(plane.length);
  if (!Number.isFinite(alpha) || !Number.isFinite(beta)) return out;
  for (let i = 0; i < plane.length; i++) {
    const x = Math.fround(plane[i]! * alpha + beta);
    const r = Math.round(x);
    const v = r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return out;
}

/**
 * The eight oriented derivative images per channel behind selective search's texture similarity, as
 * OpenCV's SelectiveSearchSegmentationStrategyTexture builds them (Scharr derivatives standing in for
 * the paper's Gaussian derivatives): x and y derivatives, then the same on the image rotated by 45
 * degrees and rotated back, each split into positive and negative parts and stretched to 0..255.
 * Returns channels * 8 byte planes in OpenCV's order.
 */
export function textureImages(image: Channels): Uint8Array[] {
  const { height, width, channels } = image;
  const cx = width / 2, cy = height / 2;
  const [, , bw, bh] = rotatedBoundingRect(cx, cy, width, height, 45);
  const rotate: Affine = rotationMatrix(cx, cy, 45);
  rotate[2] += bw / 2 - cx;
  rotate[5] += bh / 2 - cy;
  const back = rotationMatrix(Math.trunc(bw / 2), Math.trunc(bh / 2), -45);
  const cropX = Math.trunc((bw - width) / 2), cropY = Math.trunc((bh - height) / 2);
  const crop = (big: Float32Array) => {
    const out = new Float32Array(height * width);
    for (let y = 0; y < height; y++) out.set(big.subarray((y + cropY) * bw + cropX, (y + cropY) * bw + cropX + width), y * width);
    return out;
  };

  const planes: Uint8Array[] = [];
  for (let c = 0; c < channels; c++) {
    const data = new Uint8Array(height * width);
    for (let i = 0; i < data.length; i++) data[i] = image.data[i * channels + c]!;
    const plane: Channels = { data, height, width, channels: 1 };
    const rotated: Channels = { data: warpAffine(plane, rotate, bw, bh, true), height: bh, width: bw, channels: 1 };
    const rotatedBack = (g: Float32Array) => crop(warpAffine({ data: g, height: bh, width: bw, channels: 1 }, back, bw, bh, false));
    const gradients = [
      scharr(plane, 'x'),
      scharr(plane, 'y'),
      rotatedBack(scharr(rotated, 'x')),
      rotatedBack(scharr(rotated, 'y')),
    ];
    for (const g of gradients) planes.push(...signedParts(g).map(normalise));
  }
  return planes;
}
