import * as tf from '@tensorflow/tfjs-core';
import { runOnCpu } from './cpu-fallback.js';
import { nativeKernel } from './kernel.js';
import { unsupportedDtype } from './util.js';

/** Local response normalisation across channels (the last axis), as tfjs defines it. */
export const lrnConfig = nativeKernel(tf.LRN, ({ inputs, attrs, backend }) => {
  const x = inputs.x!;
  const { depthRadius, bias, alpha, beta } = attrs as unknown as tf.LRNAttrs;
  const why = unsupportedDtype([x]);
  if (why) return runOnCpu(tf.LRN, inputs, attrs, backend, why);
  const n = tf.util.sizeFromShape(x.shape);
  const out = backend.allocate(x.shape, 'float32');
  if (n > 0) backend.addon.lrn(backend.ptr(x), backend.ptr(out), n, x.shape[x.shape.length - 1]!, depthRadius, bias, alpha, beta);
  return out;
});
