import * as tf from '@tensorflow/tfjs-core';
import type { DataType, TensorInfo } from '@tensorflow/tfjs-core';
import type { CudaBackend } from '../backend.js';
import { runOnCpu } from './cpu-fallback.js';
import { nativeKernel } from './kernel.js';

export function filled(backend: CudaBackend, shape: number[], dtype: DataType, value: number): TensorInfo {
  const out = backend.allocate(shape, dtype);
  const n = tf.util.sizeFromShape(shape);
  if (n > 0) backend.addon.fill(backend.ptr(out), n, dtype === 'float32' ? 0 : 1, dtype === 'bool' ? Number(Boolean(value)) : value);
  return out;
}

export const fillConfig = nativeKernel(tf.Fill, ({ attrs, backend }) => {
  const { shape, value, dtype } = attrs as unknown as tf.FillAttrs;
  const type = dtype ?? tf.util.inferDtype(value);
  if (type !== 'float32' && type !== 'int32' && type !== 'bool') return runOnCpu(tf.Fill, {}, attrs, backend, `${type} value`);
  return filled(backend, shape, type, value as number);
});

export const zerosLikeConfig = nativeKernel(tf.ZerosLike, ({ inputs, attrs, backend }) => {
  const x = inputs.x!;
  if (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool') return runOnCpu(tf.ZerosLike, inputs, attrs, backend, `${x.dtype} input`);
  return filled(backend, x.shape, x.dtype, 0);
});

export const onesLikeConfig = nativeKernel(tf.OnesLike, ({ inputs, attrs, backend }) => {
  const x = inputs.x!;
  if (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool') return runOnCpu(tf.OnesLike, inputs, attrs, backend, `${x.dtype} input`);
  return filled(backend, x.shape, x.dtype, 1);
});
