import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { runOnCpu } from './cpu-fallback.js';
import { nativeKernel } from './kernel.js';

/** tf.where(condition, t, e): elementwise, or by rows when the condition is rank 1 and t is not. */
export const selectConfig = nativeKernel(tf.Select, ({ inputs, attrs, backend }) => {
  const { condition, t, e } = inputs as { condition: TensorInfo; t: TensorInfo; e: TensorInfo };
  const numeric = (d: string) => d === 'float32' || d === 'int32' || d === 'bool';
  if (!numeric(t.dtype) || t.dtype !== e.dtype || !numeric(condition.dtype)) return runOnCpu(tf.Select, inputs, attrs, backend, `${t.dtype} values`);
  const n = tf.util.sizeFromShape(t.shape);
  const rowSize = condition.shape.length === 1 && t.shape.length > 1 ? n / Math.max(1, t.shape[0]!) : 1;
  const out = backend.allocate(t.shape, t.dtype);
  if (n > 0) backend.addon.select(backend.ptr(condition), backend.ptr(t), backend.ptr(e), backend.ptr(out), n, rowSize);
  return out;
});
