/**
 * One output pixel's taps along one axis: the first input index and the weights from there on.
 * torchvision's antialiased bilinear (aten `_upsample_bilinear2d_aa`, which follows PIL's resampling):
 * a triangle filter widened by the scale when shrinking, so every input pixel under an output pixel
 * counts; clipped at the border and renormalised.
 */
interface Taps {
  start: number;
  weights: Float64Array;
}

function antialiasedTaps(inSize: number, outSize: number): Taps[] {
  const scale = inSize / outSize;
  const support = scale >= 1 ? scale : 1;
  const invScale = scale >= 1 ? 1 / scale : 1;
  const taps: Taps[] = [];
  for (let i = 0; i < outSize; i++) {
    const center = scale * (i + 0.5);
    const start = Math.max(Math.trunc(center - support + 0.5), 0);
    const size = Math.min(Math.trunc(center + support + 0.5), inSize) - start;
    const weights = new Float64Array(size);
    let total = 0;
    for (let j = 0; j < size; j++) {
      const x = Math.abs((j + start - center + 0.5) * invScale);
      weights[j] = x < 1 ? 1 - x : 0;
      total += weights[j]!;
    }
    if (total !== 0) for (let j = 0; j < size; j++) weights[j]! /= total;
    taps.push({ start, weights });
  }
  return taps;
}

/**
 * Antialiased bilinear resize, equal to torchvision's `F.resize(x, [outHeight, outWidth], antialias=True)`
 * on a float tensor: rows first, then columns, as aten does.
 * image: [H, W, C] float32, row-major -> [outHeight, outWidth, C] float32.
 */
export function resizeBilinearAntialiased(
  image: Float32Array, height: number, width: number, channels: number, outHeight: number, outWidth: number,
): Float32Array {
  if (outHeight === height && outWidth === width) return image.slice();
  const columns = antialiasedTaps(width, outWidth);
  const rows = antialiasedTaps(height, outHeight);
  const horizontal = new Float32Array(height * outWidth * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < outWidth; x++) {
      const { start, weights } = columns[x]!;
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let j = 0; j < weights.length; j++) sum += weights[j]! * image[(y * width + start + j) * channels + c]!;
        horizontal[(y * outWidth + x) * channels + c] = sum;
      }
    }
  }
  const out = new Float32Array(outHeight * outWidth * channels);
  for (let y = 0; y < outHeight; y++) {
    const { start, weights } = rows[y]!;
    for (let x = 0; x < outWidth; x++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let j = 0; j < weights.length; j++) sum += weights[j]! * horizontal[((start + j) * outWidth + x) * channels + c]!;
        out[(y * outWidth + x) * channels + c] = sum;
      }
    }
  }
  return out;
}

/**
 * torchvision's Resize(size) output size: an integer scales the shorter side to it and the longer in
 * proportion (truncated, as `int()` does); a pair is [height, width] exactly.
 */
export function resizedSize(height: number, width: number, size: number | readonly [number, number]): [number, number] {
  if (typeof size !== 'number') return [size[0], size[1]];
  const [short, long] = height <= width ? [height, width] : [width, height];
  const newLong = Math.trunc((size * long) / short);
  return height <= width ? [size, newLong] : [newLong, size];
}
