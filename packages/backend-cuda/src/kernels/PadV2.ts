import * as tf from '@tensorflow/tfjs-core';
import { runOnCpu } from './cpu-fallback.js';
import { nativeKernel } from './kernel.js';
import { padded } from './util.js';

export const padV2Config = nativeKernel(tf.PadV2, ({ inputs, attrs, backend }) => {
  const x = inputs.x!;
  const { paddings, constantValue } = attrs as unknown as tf.PadV2Attrs;
  if (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool') return runOnCpu(tf.PadV2, inputs, attrs, backend, `${x.dtype} input`);
  return padded(backend, x, paddings, constantValue);
});
