import { DataError } from '../errors.js';
import { CenterCrop } from './center-crop.js';
import { Compose } from './compose.js';
import { Grayscale } from './grayscale.js';
import { Normalize } from './normalize.js';
import { Pad } from './pad.js';
import { RandomHorizontalFlip } from './random-horizontal-flip.js';
import { RandomResizedCrop } from './random-resized-crop.js';
import { Resize } from './resize.js';
import { ToTensor } from './to-tensor.js';
import type { Transform, TransformSpec } from './transform.js';

/** Rebuilds a transform from its plain-data spec (what the loader's workers receive). */
export function transformFromSpec(spec: TransformSpec): Transform {
  switch (spec.name) {
    case 'Resize':
      return new Resize(spec.size, spec.maxSize);
    case 'CenterCrop':
      return new CenterCrop(spec.size);
    case 'RandomResizedCrop':
      return new RandomResizedCrop(spec.size, spec.scale, spec.ratio);
    case 'RandomHorizontalFlip':
      return new RandomHorizontalFlip(spec.p);
    case 'Pad':
      return new Pad(spec.padding, spec.fill, spec.paddingMode);
    case 'Normalize':
      return new Normalize(spec.mean, spec.std);
    case 'ToTensor':
      return new ToTensor();
    case 'Grayscale':
      return new Grayscale(spec.numOutputChannels);
    case 'Compose':
      return new Compose(spec.transforms.map(transformFromSpec));
    default:
      throw new DataError(`unknown transform '${(spec as { name: string }).name}'; convkit has Resize, CenterCrop, RandomResizedCrop, RandomHorizontalFlip, Pad, Normalize, ToTensor, Grayscale and Compose`);
  }
}
