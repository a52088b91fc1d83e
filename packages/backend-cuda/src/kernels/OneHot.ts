import * as tf from '@tensorflow/tfjs-core';
import { runOnCpu } from './cpu-fallback.js';
import { nativeKernel } from './kernel.js';

export const oneHotConfig = nativeKernel(tf.OneHot, ({ inputs, attrs, backend }) => {
  const indices = inputs.indices!;
  const { depth, onValue, offValue, dtype } = attrs as unknown as tf.OneHotAttrs;
  if (indices.dtype !== 'int32' || (dtype !== 'float32' && dtype !== 'int32')) return runOnCpu(tf.OneHot, inputs, attrs, backend, `${indices.dtype} indices to ${dtype}`);
  const n = tf.util.sizeFromShape(indices.shape);
  const out = backend.allocate([...indices.shape, depth], dtype);
  if (n * depth > 0) backend.addon.oneHot(backend.ptr(indices), backend.ptr(out), n, depth, onValue, offValue, dtype === 'int32');
  return out;
});
