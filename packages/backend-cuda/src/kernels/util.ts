import * as tf from '@tensorflow/tfjs-core';
import type { DataType, TensorInfo } from '@tensorflow/tfjs-core';
import { onDevice, type CudaBackend } from '../backend.js';
import type { DevicePtr } from '../native/addon.js';
import { denseStrides, simplifyStrided, transposeStrides } from '../plan.js';

/** Why a native kernel cannot take these inputs (then it runs on the CPU), or null when it can. */
export function unsupportedDtype(infos: (TensorInfo | undefined)[], allowed: readonly DataType[] = ['float32']): string | null {
  for (const info of infos) {
    if (!info) continue;
    if (!onDevice(info.dtype) || !allowed.includes(info.dtype)) return `${info.dtype} input`;
  }
  return null;
}

/** A tensor sharing `x`'s data under another shape (Reshape, ExpandDims, Squeeze): no copy. */
export function reshaped(backend: CudaBackend, x: TensorInfo, shape: number[]): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape, dtype: x.dtype };
}

/** Copies 4-byte elements from `src` to `dst` over `shape` with the given element strides and offsets. */
export function stridedCopy(backend: CudaBackend, src: DevicePtr, dst: DevicePtr, shape: readonly number[], inStrides: readonly number[], inOffset: number, outStrides: readonly number[], outOffset: number): void {
  if (shape.some((d) => d === 0)) return;
  const s = simplifyStrided(shape, [inStrides, outStrides]);
  if (s.shape.length > 8) throw new Error(`a copy of rank ${s.shape.length} after merging axes; 8 is the most the device copy takes`);
  backend.addon.copy(src, dst, s.shape, s.strides[0]!, inOffset, s.strides[1]!, outOffset);
}

/** A new tensor holding `x` transposed by `perm` (output axis k is input axis perm[k]). */
export function transposed(backend: CudaBackend, x: TensorInfo, perm: readonly number[]): TensorInfo {
  const t = transposeStrides(x.shape, perm);
  const out = backend.allocate(t.shape, x.dtype);
  stridedCopy(backend, backend.ptr(x), backend.ptr(out), t.shape, t.inStrides, 0, denseStrides(t.shape), 0);
  return out;
}

/** Transposes into a buffer that already exists (derived layouts). */
export function transposeInto(backend: CudaBackend, x: TensorInfo, perm: readonly number[], dst: DevicePtr): void {
  const t = transposeStrides(x.shape, perm);
  stridedCopy(backend, backend.ptr(x), dst, t.shape, t.inStrides, 0, denseStrides(t.shape), 0);
}

/** A new tensor: `x` padded with `value`, `paddings[k] = [before, after]` on axis k. */
export function padded(backend: CudaBackend, x: TensorInfo, paddings: readonly (readonly [number, number])[], value: number): TensorInfo {
  const shape = x.shape.map((d, k) => d + paddings[k]![0] + paddings[k]![1]);
  const out = backend.allocate(shape, x.dtype);
  const size = tf.util.sizeFromShape(shape);
  if (size > 0) backend.addon.fill(backend.ptr(out), size, x.dtype === 'float32' ? 0 : 1, value);
  // Full row-major strides of the output (no zeroing of size-1 axes) locate the interior's first element.
  const full = shape.length ? tf.util.computeStrides(shape).concat([1]) : [];
  const offset = paddings.reduce((acc, [before], k) => acc + before * full[k]!, 0);
  stridedCopy(backend, backend.ptr(x), backend.ptr(out), x.shape, denseStrides(x.shape), 0, full, offset);
  return out;
}

/**
 * Why a gradient's dy cannot be handed to cuDNN or a pooling kernel as it is: they read it by the
 * shape the forward pass had, so a different dy (which tfjs lets through) would be read out of bounds.
 */
export function unexpectedShape(what: string, actual: readonly number[], expected: readonly number[]): string | null {
  return actual.length === expected.length && actual.every((d, k) => d === expected[k]) ? null : `${what} of shape [${actual}] where [${expected}] is computed`;
}
