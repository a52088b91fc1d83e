import * as tf from '@tensorflow/tfjs-core';
import { runOnCpu } from './cpu-fallback.js';
import { convBackwardFilter, unsupportedConv } from './conv-common.js';
import { nativeKernel } from './kernel.js';
import { unexpectedShape, unsupportedDtype } from './util.js';

export const conv2DBackpropFilterConfig = nativeKernel(tf.Conv2DBackpropFilter, ({ inputs, attrs, backend }) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { filterShape, strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode,
    false, tf.backend_util.convertConv2DDataFormat(dataFormat));
  const why = unsupportedDtype([x, dy]) ?? unsupportedConv(info) ?? unexpectedShape('dy', dy.shape, info.outShape);
  if (why) return runOnCpu(tf.Conv2DBackpropFilter, inputs, attrs, backend, why);
  return convBackwardFilter(backend, x, dy, info, 'conv');
});
