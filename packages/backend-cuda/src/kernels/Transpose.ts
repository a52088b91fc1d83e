import * as tf from '@tensorflow/tfjs-core';
import { runOnCpu } from './cpu-fallback.js';
import { nativeKernel } from './kernel.js';
import { transposed } from './util.js';

export const transposeConfig = nativeKernel(tf.Transpose, ({ inputs, attrs, backend }) => {
  const x = inputs.x!;
  const { perm } = attrs as unknown as tf.TransposeAttrs;
  if (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool') return runOnCpu(tf.Transpose, inputs, attrs, backend, `${x.dtype} input`);
  return transposed(backend, x, perm);
});
