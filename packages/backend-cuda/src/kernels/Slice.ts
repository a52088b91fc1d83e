import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { CudaBackend } from '../backend.js';
import { denseStrides } from '../plan.js';
import { runOnCpu } from './cpu-fallback.js';
import { nativeKernel } from './kernel.js';
import { stridedCopy } from './util.js';

export function sliceOp(backend: CudaBackend, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const out = backend.allocate(size, x.dtype);
  if (tf.util.sizeFromShape(size) === 0) return out;
  const full = x.shape.length ? tf.util.computeStrides(x.shape).concat([1]) : [];
  const offset = begin.reduce((acc, b, k) => acc + b * full[k]!, 0);
  stridedCopy(backend, backend.ptr(x), backend.ptr(out), size, full, offset, denseStrides(size), 0);
  return out;
}

export const sliceConfig = nativeKernel(tf.Slice, ({ inputs, attrs, backend }) => {
  const x = inputs.x!;
  const { begin, size } = attrs as unknown as tf.SliceAttrs;
  if (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool') return runOnCpu(tf.Slice, inputs, attrs, backend, `${x.dtype} input`);
  const [b, s] = tf.slice_util.parseSliceParams(x, begin, size);
  tf.slice_util.assertParamsValid(x, b!, s!);
  return sliceOp(backend, x, b!, s!);
});
