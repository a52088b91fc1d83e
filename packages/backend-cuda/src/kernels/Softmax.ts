import * as tf from '@tensorflow/tfjs-core';
import { runOnCpu } from './cpu-fallback.js';
import { nativeKernel } from './kernel.js';
import { unsupportedDtype } from './util.js';

export const softmaxConfig = nativeKernel(tf.Softmax, ({ inputs, attrs, backend }) => {
  const logits = inputs.logits!;
  const { dim } = attrs as unknown as tf.SoftmaxAttrs;
  const axis = dim < 0 ? dim + logits.shape.length : dim;
  const why = unsupportedDtype([logits]) ?? (axis !== logits.shape.length - 1 ? `softmax over axis ${dim} (only the last is native)` : null);
  if (why) return runOnCpu(tf.Softmax, inputs, attrs, backend, why);
  const cols = logits.shape[logits.shape.length - 1] ?? 1;
  const rows = tf.util.sizeFromShape(logits.shape) / Math.max(cols, 1);
  const y = backend.allocate(logits.shape, 'float32');
  if (rows * cols > 0) backend.addon.softmax(backend.ptr(logits), backend.ptr(y), rows, cols, false);
  return y;
});
