import { checkSize, pairOf } from './size.js';
import { cropSample } from './crop.js';
import { roundHalfEven } from './round.js';
import type { Sample, Transform, TransformSpec } from './transform.js';

/**
 * torchvision's `CenterCrop(size)`: the window at round((H - h) / 2), round((W - w) / 2) (Python's
 * half-to-even round); an image smaller than the crop is zero-padded first, as torchvision pads
 * (left/top get the floor of half the shortfall), which the window arithmetic below reproduces.
 */
export class CenterCrop implements Transform {
  readonly spec: TransformSpec;
  private readonly height: number;
  private readonly width: number;

  constructor(readonly size: number | [number, number]) {
    checkSize(size, 'CenterCrop');
    [this.height, this.width] = pairOf(size);
    this.spec = { name: 'CenterCrop', size };
  }

  apply(sample: Sample): Sample {
    const { height: h, width: w } = sample.image;
    return cropSample(sample, centerOffset(h, this.height), centerOffset(w, this.width), this.height, this.width);
  }
}

function centerOffset(size: number, crop: number): number {
  // Padded by floor((crop - size) / 2) before, then cropped at 0 of the padded image.
  return crop > size ? -Math.floor((crop - size) / 2) : roundHalfEven((size - crop) / 2);
}
