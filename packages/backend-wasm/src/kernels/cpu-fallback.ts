import * as tf from '@tensorflow/tfjs-core';
import { cpuFallbackKernel } from '@convkit/core';

/**
 * Kernels that tfjs-backend-wasm 4.22 lacks but convkit needs for training (depthwise convolution
 * gradients, the gradient of gather), or gets wrong: its MaxPoolGrad sends the gradient of a window whose
 * values are all negative to the wrong element. These run tfjs-backend-cpu's implementation on copies
 * (core's `cpuFallbackKernel`); Conv2DBackpropFilter, needed by every convolution, has a wasm kernel of its
 * own (Conv2DBackpropFilter.ts).
 */
export const CPU_FALLBACK_KERNELS = [
  'DepthwiseConv2dNativeBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'UnsortedSegmentSum',
  'MaxPoolGrad',
] as const;

export function registerCpuFallbackKernels(): void {
  for (const name of CPU_FALLBACK_KERNELS) {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(cpuFallbackKernel(name, 'wasm'));
  }
}
