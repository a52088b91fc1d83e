import { DataError } from '../errors.js';
import type { Sample, Transform, TransformSpec } from './transform.js';

/**
 * torchvision's `Normalize(mean, std)`: (x - mean[c]) / std[c] per channel, in float32 as torchvision
 * computes it. Needs a float image (after ToTensor). image: [H, W, C] float32 -> [H, W, C] float32.
 */
export class Normalize implements Transform {
  readonly spec: TransformSpec;
  private readonly mean: Float32Array;
  private readonly std: Float32Array;

  constructor(mean: number[], std: number[]) {
    if (mean.length !== std.length || mean.length === 0) throw new DataError(`Normalize needs one mean and one std per channel, got ${mean.length} means and ${std.length} stds`);
    if (std.some((s) => !(s > 0) && !(s < 0))) throw new DataError(`Normalize std must be non-zero numbers, got ${JSON.stringify(std)}`);
    this.mean = Float32Array.from(mean);
    this.std = Float32Array.from(std);
    this.spec = { name: 'Normalize', mean: [...mean], std: [...std] };
  }

  apply(sample: Sample): Sample {
    const { image } = sample;
    if (!(image.data instanceof Float32Array)) throw new DataError('Normalize needs a float image: put ToTensor before it, as in torchvision');
    const c = image.channels;
    if (c !== this.mean.length) throw new DataError(`Normalize has ${this.mean.length} channels' mean and std, the image has ${c} channels`);
    const data = new Float32Array(image.data.length);
    for (let i = 0; i < data.length; i++) data[i] = Math.fround(Math.fround(image.data[i]! - this.mean[i % c]!) / this.std[i % c]!);
    return { ...sample, image: { ...image, data } };
  }
}
