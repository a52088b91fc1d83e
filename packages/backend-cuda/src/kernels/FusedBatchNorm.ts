import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { runOnCpu } from './cpu-fallback.js';
import { nativeKernel } from './kernel.js';
import { unsupportedDtype } from './util.js';

/** Inference batch norm: y = offset + (x - mean) * scale / sqrt(variance + eps), parameters indexed cyclically as tfjs does. */
export const fusedBatchNormConfig = nativeKernel(tf.FusedBatchNorm, ({ inputs, attrs, backend }) => {
  const { x, mean, variance, offset, scale } = inputs as { x: TensorInfo; mean: TensorInfo; variance: TensorInfo; offset?: TensorInfo; scale?: TensorInfo };
  const why = unsupportedDtype([x, mean, variance, offset, scale]);
  if (why) return runOnCpu(tf.FusedBatchNorm, inputs, attrs, backend, why);
  const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
  const y = backend.allocate(x.shape, 'float32');
  const n = tf.util.sizeFromShape(x.shape);
  const size = (t?: TensorInfo) => (t ? tf.util.sizeFromShape(t.shape) : 1);
  if (n > 0) {
    backend.addon.batchNorm(backend.ptr(x), backend.ptr(mean), size(mean), backend.ptr(variance), size(variance), offset ? backend.ptr(offset) : 0, size(offset),
      scale ? backend.ptr(scale) : 0, size(scale), varianceEpsilon ?? 0.001, backend.ptr(y), n);
  }
  return y;
});
