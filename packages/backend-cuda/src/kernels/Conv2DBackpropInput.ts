import * as tf from '@tensorflow/tfjs-core';
import { runOnCpu } from './cpu-fallback.js';
import { convBackwardData, unsupportedConv } from './conv-common.js';
import { nativeKernel } from './kernel.js';
import { unexpectedShape, unsupportedDtype } from './util.js';

/** The input gradient of Conv2D, which is also conv2dTranspose (ConvTranspose2d's forward pass). */
export const conv2DBackpropInputConfig = nativeKernel(tf.Conv2DBackpropInput, ({ inputs, attrs, backend }) => {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { inputShape, strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode,
    false, tf.backend_util.convertConv2DDataFormat(dataFormat));
  const why = unsupportedDtype([dy, filter]) ?? unsupportedConv(info) ?? unexpectedShape('dy', dy.shape, info.outShape);
  if (why) return runOnCpu(tf.Conv2DBackpropInput, inputs, attrs, backend, why);
  return convBackwardData(backend, dy, filter, info, 'conv');
});
