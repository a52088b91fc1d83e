import * as tf from '@tensorflow/tfjs-core';
import { runOnCpu } from './cpu-fallback.js';
import { convForward, unsupportedConv } from './conv-common.js';
import { nativeKernel } from './kernel.js';
import { unsupportedDtype } from './util.js';

export const conv2DConfig = nativeKernel(tf.Conv2D, ({ inputs, attrs, backend }) => {
  const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as unknown as tf.Conv2DAttrs;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    strides, dilations, pad, dimRoundingMode, false, tf.backend_util.convertConv2DDataFormat(dataFormat));
  const why = unsupportedDtype([x, filter]) ?? unsupportedConv(info);
  if (why) return runOnCpu(tf.Conv2D, inputs, attrs, backend, why);
  return convForward(backend, x, filter, info, 'conv');
});
