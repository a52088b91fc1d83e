import type { Sample, Transform, TransformSpec } from './transform.js';

/**
 * torchvision's `ToTensor()`: uint8 0..255 -> float32 0..1 (x / 255). Unlike torchvision it keeps the
 * channels last, as convkit's models take [N, H, W, C]. image: [H, W, C] uint8 -> [H, W, C] float32;
 * a float image passes unchanged.
 */
export class ToTensor implements Transform {
  readonly spec: TransformSpec = { name: 'ToTensor' };

  apply(sample: Sample): Sample {
    const { image } = sample;
    if (image.data instanceof Float32Array) return sample;
    const data = new Float32Array(image.data.length);
    for (let i = 0; i < data.length; i++) data[i] = image.data[i]! / 255;
    return { ...sample, image: { ...image, data } };
  }
}
