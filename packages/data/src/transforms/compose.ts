import type { Random } from '../random.js';
import type { Sample, Transform, TransformSpec } from './transform.js';

/** torchvision's `Compose([...])`: each transform in turn, drawing from the same generator. */
export class Compose implements Transform {
  readonly spec: TransformSpec;

  constructor(readonly transforms: readonly Transform[]) {
    this.spec = { name: 'Compose', transforms: transforms.map((t) => t.spec) };
  }

  apply(sample: Sample, random: Random): Sample {
    return this.transforms.reduce((s, t) => t.apply(s, random), sample);
  }
}
