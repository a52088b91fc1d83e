import { FusedConv2D } from '@tensorflow/tfjs-core';
import type { FusedConv2DAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { nativeKernel } from './kernel.js';
import { convolution } from './Conv2D.js';

export const fusedConv2DConfig = nativeKernel(FusedConv2D, (args) => {
  const { bias, preluActivationWeights } = args.inputs as { bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  const { activation, leakyreluAlpha } = args.attrs as unknown as FusedConv2DAttrs;
  if (preluActivationWeights) return null;
  return convolution(args, bias, activation, leakyreluAlpha ?? 0.2);
});
