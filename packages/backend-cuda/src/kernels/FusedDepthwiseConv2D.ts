import * as tf from '@tensorflow/tfjs-core';
import { runOnCpu } from './cpu-fallback.js';
import { convForward, unsupportedConv } from './conv-common.js';
import { applyEpilogue, unsupportedEpilogue } from './fused-common.js';
import { nativeKernel } from './kernel.js';
import { unsupportedDtype } from './util.js';

export const fusedDepthwiseConv2DConfig = nativeKernel(tf.FusedDepthwiseConv2D, ({ inputs, attrs, backend }) => {
  const { x, filter, bias, preluActivationWeights } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
  const { strides, pad, dataFormat, dilations, dimRoundingMode, activation, leakyreluAlpha } = attrs as unknown as tf.FusedDepthwiseConv2DAttrs;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    strides, dilations ?? [1, 1], pad, dimRoundingMode, true, tf.backend_util.convertConv2DDataFormat(dataFormat));
  const why = unsupportedDtype([x, filter]) ?? unsupportedConv(info) ?? unsupportedEpilogue(info.outChannels, activation, bias, preluActivationWeights);
  if (why) return runOnCpu(tf.FusedDepthwiseConv2D, inputs, attrs, backend, why);
  const y = convForward(backend, x, filter, info, 'depthwise');
  applyEpilogue(backend, y, activation, leakyreluAlpha, bias, preluActivationWeights);
  return y;
});
