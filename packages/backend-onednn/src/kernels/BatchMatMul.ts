import { BatchMatMul } from '@tensorflow/tfjs-core';
import type { BatchMatMulAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { isFloat, nativeKernel } from './kernel.js';
import { matmul } from './matmul-common.js';

export const batchMatMulConfig = nativeKernel(BatchMatMul, ({ inputs, backend, attrs }) => {
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
  if (!isFloat(a, b)) return null;
  return matmul(backend, a, b, transposeA, transposeB, undefined);
});
