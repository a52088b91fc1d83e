import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { matmul, planMatmul } from './BatchMatMul.js';
import { runOnCpu } from './cpu-fallback.js';
import { applyEpilogue, unsupportedEpilogue } from './fused-common.js';
import { nativeKernel } from './kernel.js';
import { unsupportedDtype } from './util.js';

/** Matmul + bias + activation: what Linear layers run in inference. */
export const fusedMatMulConfig = nativeKernel(tf._FusedMatMul, ({ inputs, attrs, backend }) => {
  const { a, b, bias, preluActivationWeights } = inputs as { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  const { transposeA, transposeB, activation, leakyreluAlpha } = attrs as unknown as tf._FusedMatMulAttrs;
  const plan = planMatmul(a, b, transposeA, transposeB);
  const why = unsupportedDtype([a, b]) ?? (typeof plan === 'string' ? plan : unsupportedEpilogue(plan.n, activation, bias, preluActivationWeights));
  if (why || typeof plan === 'string') return runOnCpu(tf._FusedMatMul, inputs, attrs, backend, why ?? String(plan));
  const y = matmul(backend, a, b, transposeA, transposeB, plan);
  applyEpilogue(backend, y, activation, leakyreluAlpha, bias, preluActivationWeights);
  return y;
});
