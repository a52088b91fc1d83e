import { emptyLike, type Image } from '../image.js';
import type { Sample } from './transform.js';

/**
 * The [height, width] window at (top, left) of an image, zero outside it, as torchvision's `F.crop`
 * on tensors. image: [H, W, C] -> [height, width, C].
 */
export function cropImage<T extends Uint8Array | Float32Array>(image: Image<T>, top: number, left: number, height: number, width: number, fill = 0): Image<T> {
  const c = image.channels;
  const out = emptyLike(image, height, width);
  if (fill !== 0) out.data.fill(fill);
  const x0 = Math.max(0, -left), x1 = Math.min(width, image.width - left);
  for (let y = Math.max(0, -top); y < Math.min(height, image.height - top); y++) {
    if (x1 <= x0) break;
    const src = ((y + top) * image.width + left + x0) * c;
    out.data.set(image.data.subarray(src, src + (x1 - x0) * c), (y * width + x0) * c);
  }
  return out;
}

/** Keeps the per-box entries where `keep` is 1. */
export function selectBoxes(sample: Sample, keep: Uint8Array): Sample {
  const pick = <A extends Float32Array | Int32Array | Uint8Array>(values: A | undefined, stride: number): A | undefined => {
    if (!values) return undefined;
    const out = new (values.constructor as new (n: number) => A)(keep.reduce((s, k) => s + k, 0) * stride);
    let at = 0;
    keep.forEach((k, i) => {
      if (k) out.set(values.subarray(i * stride, (i + 1) * stride), (at++) * stride);
    });
    return out;
  };
  const out: Sample = { ...sample };
  if (sample.boxes) out.boxes = pick(sample.boxes, 4);
  if (sample.labels) out.labels = pick(sample.labels, 1);
  if (sample.crowd) out.crowd = pick(sample.crowd, 1);
  if (sample.difficult) out.difficult = pick(sample.difficult, 1);
  return out;
}

/**
 * Crops a sample: the image (zero outside), the mask (255, void, outside: the fill torchvision's
 * segmentation references pad targets with), and the boxes shifted and clipped to the window; boxes
 * left with no area are dropped with their labels.
 */
export function cropSample(sample: Sample, top: number, left: number, height: number, width: number): Sample {
  let out: Sample = { ...sample, image: cropImage(sample.image, top, left, height, width) };
  if (sample.mask) out.mask = cropImage(sample.mask, top, left, height, width, 255);
  if (sample.boxes) {
    const boxes = new Float32Array(sample.boxes.length);
    const keep = new Uint8Array(sample.boxes.length / 4);
    for (let i = 0; i < keep.length; i++) {
      boxes[4 * i] = Math.min(Math.max(sample.boxes[4 * i]! - left, 0), width);
      boxes[4 * i + 1] = Math.min(Math.max(sample.boxes[4 * i + 1]! - top, 0), height);
      boxes[4 * i + 2] = Math.min(Math.max(sample.boxes[4 * i + 2]! - left, 0), width);
      boxes[4 * i + 3] = Math.min(Math.max(sample.boxes[4 * i + 3]! - top, 0), height);
      keep[i] = boxes[4 * i + 2]! > boxes[4 * i]! && boxes[4 * i + 3]! > boxes[4 * i + 1]! ? 1 : 0;
    }
    out.boxes = boxes;
    if (keep.some((k) => !k)) out = selectBoxes(out, keep);
  }
  return out;
}
