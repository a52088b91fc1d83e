import * as tf from '@tensorflow/tfjs-core';
import { runOnCpu } from './cpu-fallback.js';
import { nativeKernel } from './kernel.js';
import { poolInfo, poolParams } from './pool-common.js';
import { unsupportedDtype } from './util.js';

export const maxPoolConfig = nativeKernel(tf.MaxPool, ({ inputs, attrs, backend }) => {
  const x = inputs.x!;
  const why = unsupportedDtype([x]) ?? (x.shape.length !== 4 ? `rank ${x.shape.length} input` : null);
  if (why) return runOnCpu(tf.MaxPool, inputs, attrs, backend, why);
  const info = poolInfo(x.shape, attrs);
  const y = backend.allocate(info.outShape, 'float32');
  if (tf.util.sizeFromShape(info.outShape) > 0) backend.addon.pool(true, backend.ptr(x), backend.ptr(y), poolParams(info));
  return y;
});
