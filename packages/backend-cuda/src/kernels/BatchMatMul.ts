import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { CudaBackend } from '../backend.js';
import { matmulBatch } from '../plan.js';
import { runOnCpu } from './cpu-fallback.js';
import { nativeKernel } from './kernel.js';
import { unsupportedDtype } from './util.js';

interface MatmulPlan {
  outShape: number[];
  batch: number;
  m: number;
  n: number;
  k: number;
  strideA: number;
  strideB: number;
}

/** Shapes of a batched matmul, or why cuBLAS' strided batch cannot express it. */
export function planMatmul(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): MatmulPlan | string {
  if (a.shape.length < 2 || b.shape.length < 2) return `operands of rank ${a.shape.length} and ${b.shape.length}`;
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const m = transposeA ? ac : ar;
  const k = transposeA ? ar : ac;
  const kb = transposeB ? bc : br;
  const n = transposeB ? br : bc;
  if (k !== kb) throw new Error(`matmul inner dimensions differ: ${k} and ${kb} (shapes [${a.shape}] and [${b.shape}])`);
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = tf.util.sizeFromShape(outerA);
  const batchB = tf.util.sizeFromShape(outerB);
  const batch = matmulBatch(batchA, batchB);
  if (!batch) return `batch shapes [${outerA}] and [${outerB}]`;
  const outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  return { outShape: [...outer, m, n], batch: batch.batch, m, n, k, strideA: batch.aStep ? m * k : 0, strideB: batch.bStep ? k * n : 0 };
}

export function matmul(backend: CudaBackend, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean, plan: MatmulPlan): TensorInfo {
  const y = backend.allocate(plan.outShape, 'float32');
  if (plan.batch * plan.m * plan.n === 0) return y;
  if (plan.k === 0) {
    backend.addon.fill(backend.ptr(y), plan.batch * plan.m * plan.n, 0, 0);
    return y;
  }
  backend.addon.gemm(backend.ptr(a), backend.ptr(b), backend.ptr(y), plan.batch, plan.m, plan.n, plan.k, transposeA, transposeB, plan.strideA, plan.strideB);
  return y;
}

export const batchMatMulConfig = nativeKernel(tf.BatchMatMul, ({ inputs, attrs, backend }) => {
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
  const plan = planMatmul(a, b, transposeA, transposeB);
  const why = unsupportedDtype([a, b]) ?? (typeof plan === 'string' ? plan : null);
  if (why || typeof plan === 'string') return runOnCpu(tf.BatchMatMul, inputs, attrs, backend, why ?? String(plan));
  return matmul(backend, a, b, transposeA, transposeB, plan);
});
