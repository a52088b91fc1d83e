import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { OnednnBackend } from '../backend.js';
import { ACTIVATION } from '../native/addon.js';

/**
 * Batched a @ b of rank-3 tensors (tfjs's matmul kernels always receive rank 3) with optional bias and
 * activation, as one oneDNN matmul; transposes are strides, never copies. Null where oneDNN declines.
 */
export function matmul(backend: OnednnBackend, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean, bias: TensorInfo | undefined, activation: number = ACTIVATION.none, alpha = 0): TensorInfo | null {
  if (a.shape.length !== 3 || b.shape.length !== 3) return null;
  const [batchA, rowsA, colsA] = a.shape as [number, number, number];
  const [batchB, rowsB, colsB] = b.shape as [number, number, number];
  const [m, k] = transposeA ? [colsA, rowsA] : [rowsA, colsA];
  const [k2, n] = transposeB ? [colsB, rowsB] : [rowsB, colsB];
  const batch = Math.max(batchA, batchB);
  if (k !== k2 || (batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1) || m * n * k === 0) return null;
  const addon = backend.addon;
  const src = addon.layoutStrided([batchA, m, k], transposeA ? [m * k, 1, m] : [m * k, k, 1]);
  const weights = addon.layoutStrided([batchB, k, n], transposeB ? [k * n, 1, k] : [k * n, n, 1]);
  const dst = addon.layoutStrided([batch, m, n], [m * n, n, 1]);
  let biasLayout = -1;
  if (bias) {
    const dims = [...new Array<number>(3 - bias.shape.length).fill(1), ...bias.shape];
    if (dims.length !== 3 || dims.some((d, i) => d !== 1 && d !== [batch, m, n][i])) return null;
    biasLayout = addon.layoutStrided(dims, [dims[1]! * dims[2]!, dims[2]!, 1]);
  }
  const slots = backend.tryPlan(`matmul|${src}|${weights}|${biasLayout}|${dst}|${activation}|${alpha}`, () => addon.planMatmul(src, weights, biasLayout, dst, activation, alpha));
  if (!slots) return null;
  const out = backend.bufferFor(dst);
  const buffers = [backend.floats(a), backend.floats(b)];
  if (bias) buffers.push(backend.floats(bias));
  buffers.push(out);
  backend.execute(slots, buffers);
  return backend.output([batch, m, n], backend.plainLayout([batch, m, n]), out);
}
