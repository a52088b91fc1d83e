import * as tf from '@tensorflow/tfjs-core';
import { runOnCpu } from './cpu-fallback.js';
import { convBackwardFilter, unsupportedConv } from './conv-common.js';
import { nativeKernel } from './kernel.js';
import { unexpectedShape, unsupportedDtype } from './util.js';

export const depthwiseConv2dNativeBackpropFilterConfig = nativeKernel(tf.DepthwiseConv2dNativeBackpropFilter, ({ inputs, attrs, backend }) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { filterShape, strides, pad, dilations, dimRoundingMode } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, dilations, pad,
    dimRoundingMode, true);
  const why = unsupportedDtype([x, dy]) ?? unsupportedConv(info) ?? unexpectedShape('dy', dy.shape, info.outShape);
  if (why) return runOnCpu(tf.DepthwiseConv2dNativeBackpropFilter, inputs, attrs, backend, why);
  return convBackwardFilter(backend, x, dy, info, 'depthwise');
});
