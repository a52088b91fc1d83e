import { _FusedMatMul } from '@tensorflow/tfjs-core';
import type { TensorInfo, _FusedMatMulAttrs } from '@tensorflow/tfjs-core';
import { isFloat, nativeKernel } from './kernel.js';
import { activationCode } from './conv-common.js';
import { matmul } from './matmul-common.js';

export const fusedMatMulConfig = nativeKernel(_FusedMatMul, ({ inputs, backend, attrs }) => {
  const { a, b, bias, preluActivationWeights } = inputs as { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  const { transposeA, transposeB, activation, leakyreluAlpha } = attrs as unknown as _FusedMatMulAttrs;
  const act = activationCode(activation);
  if (preluActivationWeights || act === undefined || !isFloat(a, b, bias)) return null;
  return matmul(backend, a, b, transposeA, transposeB, bias, act, leakyreluAlpha ?? 0.2);
});
