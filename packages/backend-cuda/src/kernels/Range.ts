import * as tf from '@tensorflow/tfjs-core';
import { nativeKernel } from './kernel.js';

export const rangeConfig = nativeKernel(tf.Range, ({ attrs, backend }) => {
  const { start, stop, step, dtype } = attrs as unknown as tf.RangeAttrs;
  if (step === 0) throw new Error('range: step must not be 0');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const out = backend.allocate([n], dtype);
  if (n > 0) backend.addon.range(backend.ptr(out), n, start, step, dtype !== 'float32');
  return out;
});
