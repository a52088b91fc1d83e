import * as tf from '@tensorflow/tfjs-core';
import { nativeKernel } from './kernel.js';
import { reshaped } from './util.js';

/** No data moves: the output shares the input's storage (reference counted), as in tfjs-backend-cpu. */
export const reshapeConfig = nativeKernel(tf.Reshape, ({ inputs, attrs, backend }) => {
  const x = inputs.x!;
  const { shape } = attrs as unknown as tf.ReshapeAttrs;
  const size = tf.util.sizeFromShape(x.shape);
  const target = tf.util.inferFromImplicitShape(shape, size);
  const targetSize = tf.util.sizeFromShape(target);
  if (size !== targetSize) throw new Error(`cannot reshape [${x.shape}] (${size} elements) to [${shape}] (${targetSize} elements)`);
  return reshaped(backend, x, target);
});
