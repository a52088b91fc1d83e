import * as tf from '@tensorflow/tfjs-core';
import { runOnCpu } from './cpu-fallback.js';
import { nativeKernel } from './kernel.js';

/** y[outer, j, inner] = x[outer, indices[j], inner]; indices outside the axis give 0 rather than an error. */
export const gatherV2Config = nativeKernel(tf.GatherV2, ({ inputs, attrs, backend }) => {
  const { x, indices } = inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
  const { axis, batchDims } = attrs as unknown as tf.GatherV2Attrs;
  const numeric = x.dtype === 'float32' || x.dtype === 'int32' || x.dtype === 'bool';
  if (!numeric || indices.dtype !== 'int32' || (batchDims ?? 0) !== 0) {
    return runOnCpu(tf.GatherV2, inputs, attrs, backend, `${x.dtype} values, ${indices.dtype} indices, batchDims ${batchDims ?? 0}`);
  }
  const at = tf.util.parseAxisParam(axis, x.shape)[0]!;
  const outer = tf.util.sizeFromShape(x.shape.slice(0, at));
  const inner = tf.util.sizeFromShape(x.shape.slice(at + 1));
  const nIdx = tf.util.sizeFromShape(indices.shape);
  const out = backend.allocate([...x.shape.slice(0, at), ...indices.shape, ...x.shape.slice(at + 1)], x.dtype);
  if (outer * nIdx * inner > 0) backend.addon.gather(backend.ptr(x), backend.ptr(indices), backend.ptr(out), outer, x.shape[at]!, nIdx, inner);
  return out;
});
