import * as tf from '@tensorflow/tfjs-core';
import { runOnCpu } from './cpu-fallback.js';
import { nativeKernel } from './kernel.js';
import { poolInfo, poolParams } from './pool-common.js';
import { unexpectedShape, unsupportedDtype } from './util.js';

/** Spreads each gradient over its window divided by the full window size, as tfjs-backend-cpu does. */
export const avgPoolGradConfig = nativeKernel(tf.AvgPoolGrad, ({ inputs, attrs, backend }) => {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const info = poolInfo(input.shape, attrs);
  const why = unsupportedDtype([dy, input]) ?? unexpectedShape('dy', dy.shape, info.outShape);
  if (why) return runOnCpu(tf.AvgPoolGrad, inputs, attrs, backend, why);
  const dx = backend.allocate(input.shape, 'float32');
  if (tf.util.sizeFromShape(input.shape) > 0) backend.addon.poolGrad(false, backend.ptr(dy), backend.ptr(input), backend.ptr(dx), poolParams(info));
  return dx;
});
