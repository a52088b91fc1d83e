import * as tf from '@tensorflow/tfjs-core';
import { runOnCpu } from './cpu-fallback.js';
import { nativeKernel } from './kernel.js';
import { poolInfo, poolParams } from './pool-common.js';
import { unexpectedShape, unsupportedDtype } from './util.js';

/** Each window's gradient goes to its first strictly largest element, as in tfjs-backend-cpu. */
export const maxPoolGradConfig = nativeKernel(tf.MaxPoolGrad, ({ inputs, attrs, backend }) => {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const info = poolInfo(input.shape, attrs);
  const why = unsupportedDtype([dy, input]) ?? unexpectedShape('dy', dy.shape, info.outShape);
  if (why) return runOnCpu(tf.MaxPoolGrad, inputs, attrs, backend, why);
  const dx = backend.allocate(input.shape, 'float32');
  if (tf.util.sizeFromShape(input.shape) > 0) backend.addon.poolGrad(true, backend.ptr(dy), backend.ptr(input), backend.ptr(dx), poolParams(info));
  return dx;
});
