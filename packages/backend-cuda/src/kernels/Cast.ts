import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { CAST } from '../native/ops.js';
import { runOnCpu } from './cpu-fallback.js';
import { nativeKernel } from './kernel.js';
import { reshaped } from './util.js';

/** float32 -> int32 truncates toward zero (NaN -> 0), anything -> bool tests != 0; bool is already int32 0/1 on the device. */
export const castConfig = nativeKernel(tf.Cast, ({ inputs, attrs, backend }) => {
  const x = inputs.x!;
  const { dtype } = attrs as unknown as tf.CastAttrs;
  if (dtype === x.dtype) return reshaped(backend, x, x.shape);
  const numeric = (d: string) => d === 'float32' || d === 'int32' || d === 'bool';
  if (!numeric(x.dtype) || !numeric(dtype)) return runOnCpu(tf.Cast, inputs, attrs, backend, `a cast from ${x.dtype} to ${dtype}`);
  const out: TensorInfo = backend.allocate(x.shape, dtype);
  const n = tf.util.sizeFromShape(x.shape);
  if (n === 0) return out;
  const fromFloat = x.dtype === 'float32';
  // bool is int32 0/1 on the device: bool -> int32 is the identity that int -> bool also computes.
  const mode = dtype === 'float32' ? CAST.intToFloat : dtype === 'int32' && fromFloat ? CAST.floatToInt : fromFloat ? CAST.floatToBool : CAST.intToBool;
  backend.addon.cast(mode, backend.ptr(x), backend.ptr(out), n);
  return out;
});
