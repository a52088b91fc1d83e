import * as tf from '@tensorflow/tfjs-core';
import { runOnCpu } from './cpu-fallback.js';
import { convBackwardData, unsupportedConv } from './conv-common.js';
import { nativeKernel } from './kernel.js';
import { unexpectedShape, unsupportedDtype } from './util.js';

export const depthwiseConv2dNativeBackpropInputConfig = nativeKernel(tf.DepthwiseConv2dNativeBackpropInput, ({ inputs, attrs, backend }) => {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { inputShape, strides, pad, dilations, dimRoundingMode } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, dilations, pad,
    dimRoundingMode, true);
  const why = unsupportedDtype([dy, filter]) ?? unsupportedConv(info) ?? unexpectedShape('dy', dy.shape, info.outShape);
  if (why) return runOnCpu(tf.DepthwiseConv2dNativeBackpropInput, inputs, attrs, backend, why);
  return convBackwardData(backend, dy, filter, info, 'depthwise');
});
