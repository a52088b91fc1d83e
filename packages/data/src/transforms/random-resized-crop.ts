import { DataError } from '../errors.js';
import { randomInt, uniform, type Random } from '../random.js';
import { cropSample } from './crop.js';
import { resizeSample } from './resize.js';
import { roundHalfEven } from './round.js';
import { checkSize, pairOf } from './size.js';
import type { Sample, Transform, TransformSpec } from './transform.js';

/**
 * torchvision's `RandomResizedCrop.get_params`: up to ten draws of an area fraction in `scale` and a
 * log-uniform aspect ratio in `ratio`, the first window that fits taken at a uniform position, else
 * the central crop of the nearest allowed ratio. Returns [top, left, height, width]. The draws come
 * from convkit's seeded generator, so the windows follow torchvision's distribution, not torch's
 * sequence of random numbers.
 */
export function randomResizedCropParams(height: number, width: number, scale: readonly [number, number], ratio: readonly [number, number], random: Random): [number, number, number, number] {
  const area = height * width;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])] as const;
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * uniform(random, scale[0], scale[1]);
    const aspect = Math.exp(uniform(random, logRatio[0], logRatio[1]));
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      return [randomInt(random, 0, height - h + 1), randomInt(random, 0, width - w + 1), h, w];
    }
  }
  const inRatio = width / height;
  let w = width, h = height;
  if (inRatio < Math.min(...ratio)) h = roundHalfEven(w / Math.min(...ratio));
  else if (inRatio > Math.max(...ratio)) w = roundHalfEven(h * Math.max(...ratio));
  return [Math.floor((height - h) / 2), Math.floor((width - w) / 2), h, w];
}

/** torchvision's `F.resized_crop`: the [height, width] window at (top, left), resized to `size` [h, w] (antialiased bilinear). */
export function resizedCrop(sample: Sample, top: number, left: number, height: number, width: number, size: readonly [number, number]): Sample {
  return resizeSample(cropSample(sample, top, left, height, width), size[0], size[1]);
}

/**
 * torchvision's `RandomResizedCrop(size, scale=(0.08, 1), ratio=(3/4, 4/3))`, bilinear with
 * antialiasing as `Resize`; the mask and boxes are cropped and resized with the image.
 */
export class RandomResizedCrop implements Transform {
  readonly spec: TransformSpec;
  private readonly height: number;
  private readonly width: number;

  constructor(readonly size: number | [number, number], readonly scale: [number, number] = [0.08, 1], readonly ratio: [number, number] = [3 / 4, 4 / 3]) {
    checkSize(size, 'RandomResizedCrop');
    if (!(scale[0] > 0 && scale[0] <= scale[1] && scale[1] <= 1)) throw new DataError(`RandomResizedCrop scale must be 0 < min <= max <= 1, got ${JSON.stringify(scale)}`);
    if (!(ratio[0] > 0 && ratio[0] <= ratio[1])) throw new DataError(`RandomResizedCrop ratio must be 0 < min <= max, got ${JSON.stringify(ratio)}`);
    [this.height, this.width] = pairOf(size);
    this.spec = { name: 'RandomResizedCrop', size, scale, ratio };
  }

  apply(sample: Sample, random: Random): Sample {
    const [top, left, h, w] = randomResizedCropParams(sample.image.height, sample.image.width, this.scale, this.ratio, random);
    return resizedCrop(sample, top, left, h, w, [this.height, this.width]);
  }
}
