import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { CudaBackend } from '../backend.js';
import { denseStrides } from '../plan.js';
import { runOnCpu } from './cpu-fallback.js';
import { nativeKernel } from './kernel.js';
import { stridedCopy } from './util.js';

/** Each input is copied into its slab of the output along `axis`. */
export function concatOp(backend: CudaBackend, inputs: TensorInfo[], axis: number): TensorInfo {
  const outShape = tf.backend_util.computeOutShape(inputs.map((t) => t.shape), axis);
  const out = backend.allocate(outShape, inputs[0]!.dtype);
  const full = outShape.length ? tf.util.computeStrides(outShape).concat([1]) : [];
  let offset = 0;
  for (const t of inputs) {
    if (tf.util.sizeFromShape(t.shape) > 0) stridedCopy(backend, backend.ptr(t), backend.ptr(out), t.shape, denseStrides(t.shape), 0, full, offset * full[axis]!);
    offset += t.shape[axis]!;
  }
  return out;
}

export const concatConfig = nativeKernel(tf.Concat, ({ inputs, attrs, backend }) => {
  const tensors = Object.values(inputs) as TensorInfo[];
  const axis = tf.util.parseAxisParam((attrs as unknown as tf.ConcatAttrs).axis, tensors[0]!.shape)[0]!;
  const dtype = tensors[0]!.dtype;
  if (!tensors.every((t) => t.dtype === dtype && (dtype === 'float32' || dtype === 'int32' || dtype === 'bool'))) {
    return runOnCpu(tf.Concat, inputs, attrs, backend, `${[...new Set(tensors.map((t) => t.dtype))].join(' and ')} inputs`);
  }
  return concatOp(backend, tensors, axis);
});
