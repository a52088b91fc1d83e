import { AvgPoolGrad } from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { nativeKernel } from './kernel.js';
import type { PoolAttrs } from './pool-common.js';
import { poolGrad } from './MaxPoolGrad.js';

export const avgPoolGradConfig = nativeKernel(AvgPoolGrad, ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  return poolGrad(backend, false, dy, input, attrs as unknown as PoolAttrs);
});
