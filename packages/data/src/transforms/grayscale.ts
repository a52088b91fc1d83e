import { DataError } from '../errors.js';
import { emptyLike } from '../image.js';
import type { Sample, Transform, TransformSpec } from './transform.js';

const f32 = Math.fround;
const [R, G, B] = [f32(0.2989), f32(0.587), f32(0.114)];

/**
 * torchvision's `Grayscale(num_output_channels)`: from RGB, L = 0.2989 R + 0.587 G + 0.114 B in float32,
 * cast back to uint8 by truncation for uint8 images, as torchvision's tensor `rgb_to_grayscale`;
 * repeated over 3 channels when asked. A one-channel image is kept as it is, and with 3 output channels
 * repeated over them, as torchvision's PIL path does (its tensor path would return one channel).
 * image: [H, W, 3 or 1] -> [H, W, numOutputChannels].
 */
export class Grayscale implements Transform {
  readonly spec: TransformSpec;

  constructor(readonly numOutputChannels: 1 | 3 = 1) {
    if (numOutputChannels !== 1 && numOutputChannels !== 3) throw new DataError(`Grayscale numOutputChannels must be 1 or 3, got ${numOutputChannels}`);
    this.spec = { name: 'Grayscale', numOutputChannels };
  }

  apply(sample: Sample): Sample {
    const { image } = sample;
    if (image.channels !== 1 && image.channels !== 3) throw new DataError(`Grayscale needs a 1- or 3-channel image, got ${image.channels} channels`);
    const n = image.height * image.width, c = this.numOutputChannels;
    const out = emptyLike(image, image.height, image.width, c);
    const bytes = out.data instanceof Uint8Array;
    for (let p = 0; p < n; p++) {
      let l: number;
      if (image.channels === 1) l = image.data[p]!;
      else {
        const s = image.data;
        l = f32(f32(f32(R * s[3 * p]!) + f32(G * s[3 * p + 1]!)) + f32(B * s[3 * p + 2]!));
        if (bytes) l = Math.trunc(l);
      }
      for (let k = 0; k < c; k++) out.data[p * c + k] = l;
    }
    return { ...sample, image: out };
  }
}
