import { DataError } from '../errors.js';
import { emptyLike, type Image } from '../image.js';
import type { PaddingMode, Sample, Transform, TransformSpec } from './transform.js';

/** Where padded index i (-before .. size + after - 1) reads from in 0 .. size - 1. */
function sourceIndex(i: number, size: number, mode: PaddingMode): number {
  if (i >= 0 && i < size) return i;
  if (mode === 'constant') return -1;
  if (mode === 'edge') return Math.min(Math.max(i, 0), size - 1);
  // reflect mirrors about the edge pixel (no repeat), symmetric about the edge itself (repeated).
  const period = mode === 'reflect' ? 2 * (size - 1) : 2 * size;
  if (period === 0) return 0;
  let j = ((i % period) + period) % period;
  if (mode === 'reflect') return j < size ? j : period - j;
  return j < size ? j : period - 1 - j;
}

/**
 * Pads an image by [left, top, right, bottom] as torchvision's `F.pad` on tensors: 'constant' with
 * `fill`, 'edge' (replicate), 'reflect' (without the edge pixel) or 'symmetric' (with it).
 * image: [H, W, C] -> [H + top + bottom, W + left + right, C].
 */
export function padImage<T extends Uint8Array | Float32Array>(image: Image<T>, [left, top, right, bottom]: readonly number[], mode: PaddingMode = 'constant', fill = 0): Image<T> {
  if (mode === 'reflect' && (Math.max(left!, right!) >= image.width || Math.max(top!, bottom!) >= image.height)) {
    throw new DataError(`reflect padding of ${Math.max(left!, right!, top!, bottom!)} needs an image larger than that on each side, got ${image.height}x${image.width}`);
  }
  const height = image.height + top! + bottom!, width = image.width + left! + right!, c = image.channels;
  const out = emptyLike(image, height, width);
  const cols = Int32Array.from({ length: width }, (_, x) => sourceIndex(x - left!, image.width, mode));
  for (let y = 0; y < height; y++) {
    const sy = sourceIndex(y - top!, image.height, mode);
    for (let x = 0; x < width; x++) {
      const dst = (y * width + x) * c, sx = cols[x]!;
      if (sy < 0 || sx < 0) out.data.fill(fill, dst, dst + c);
      else for (let k = 0; k < c; k++) out.data[dst + k] = image.data[(sy * image.width + sx) * c + k]!;
    }
  }
  return out;
}

/** torchvision's padding argument: n, [left/right, top/bottom] or [left, top, right, bottom]. */
export function paddingOf(padding: number | readonly number[]): [number, number, number, number] {
  const p = typeof padding === 'number' ? [padding] : padding;
  if (![1, 2, 4].includes(p.length) || p.some((v) => !Number.isInteger(v) || v < 0)) {
    throw new DataError(`Pad padding must be a non-negative integer or 2 or 4 of them, got ${JSON.stringify(padding)}`);
  }
  return p.length === 1 ? [p[0]!, p[0]!, p[0]!, p[0]!] : p.length === 2 ? [p[0]!, p[1]!, p[0]!, p[1]!] : [p[0]!, p[1]!, p[2]!, p[3]!];
}

/**
 * torchvision's `Pad(padding, fill, padding_mode)`. Boxes shift by (left, top); a mask pads with the
 * same mode, and with 255 (void) where the image pads with a constant.
 */
export class Pad implements Transform {
  readonly spec: TransformSpec;
  private readonly padding: [number, number, number, number];

  constructor(padding: number | [number, number] | [number, number, number, number], readonly fill = 0, readonly paddingMode: PaddingMode = 'constant') {
    this.padding = paddingOf(padding);
    if (!['constant', 'edge', 'reflect', 'symmetric'].includes(paddingMode)) {
      throw new DataError(`Pad paddingMode must be constant, edge, reflect or symmetric, got '${paddingMode}'`);
    }
    this.spec = { name: 'Pad', padding, fill, paddingMode };
  }

  apply(sample: Sample): Sample {
    const out: Sample = { ...sample, image: padImage(sample.image, this.padding, this.paddingMode, this.fill) };
    if (sample.mask) out.mask = padImage(sample.mask, this.padding, this.paddingMode, 255);
    if (sample.boxes) {
      const [left, top] = this.padding;
      out.boxes = sample.boxes.map((v, i) => v + (i % 2 === 0 ? left : top));
    }
    return out;
  }
}
