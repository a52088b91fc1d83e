import { DataError } from '../errors.js';
import { emptyLike, type Image } from '../image.js';
import type { Random } from '../random.js';
import type { Sample, Transform, TransformSpec } from './transform.js';

/** Mirrors an image left to right. image: [H, W, C] -> [H, W, C]. */
export function flipImage<T extends Uint8Array | Float32Array>(image: Image<T>): Image<T> {
  const { height, width, channels: c } = image;
  const out = emptyLike(image, height, width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const src = (y * width + x) * c;
      out.data.set(image.data.subarray(src, src + c), (y * width + width - 1 - x) * c);
    }
  }
  return out;
}

/**
 * torchvision's `RandomHorizontalFlip(p)`: with probability p the image, its mask and its boxes are
 * mirrored (x1, x2 -> W - x2, W - x1, as torchvision's detection references flip them).
 */
export class RandomHorizontalFlip implements Transform {
  readonly spec: TransformSpec;

  constructor(readonly p = 0.5) {
    if (!(p >= 0 && p <= 1)) throw new DataError(`RandomHorizontalFlip p must be a probability in [0, 1], got ${p}`);
    this.spec = { name: 'RandomHorizontalFlip', p };
  }

  apply(sample: Sample, random: Random): Sample {
    if (!(random() < this.p)) return sample;
    const out: Sample = { ...sample, image: flipImage(sample.image) };
    if (sample.mask) out.mask = flipImage(sample.mask);
    if (sample.boxes) {
      const w = sample.image.width, boxes = new Float32Array(sample.boxes.length);
      for (let i = 0; i < boxes.length; i += 4) {
        boxes[i] = w - sample.boxes[i + 2]!;
        boxes[i + 1] = sample.boxes[i + 1]!;
        boxes[i + 2] = w - sample.boxes[i]!;
        boxes[i + 3] = sample.boxes[i + 3]!;
      }
      out.boxes = boxes;
    }
    return out;
  }
}
