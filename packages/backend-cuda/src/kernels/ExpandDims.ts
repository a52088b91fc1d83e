import * as tf from '@tensorflow/tfjs-core';
import { nativeKernel } from './kernel.js';
import { reshaped } from './util.js';

export const expandDimsConfig = nativeKernel(tf.ExpandDims, ({ inputs, attrs, backend }) => {
  const input = inputs.input!;
  const { dim } = attrs as unknown as tf.ExpandDimsAttrs;
  const rank = input.shape.length;
  const at = dim < 0 ? dim + rank + 1 : dim;
  if (at < 0 || at > rank) throw new Error(`expandDims axis ${dim} is outside [-${rank + 1}, ${rank}]`);
  return reshaped(backend, input, [...input.shape.slice(0, at), 1, ...input.shape.slice(at)]);
});
