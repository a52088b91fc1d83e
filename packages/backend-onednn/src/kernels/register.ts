import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { type KernelArgs, runShared } from './kernel.js';
import { conv2DConfig } from './Conv2D.js';
import { fusedConv2DConfig } from './FusedConv2D.js';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput.js';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter.js';
import { maxPoolConfig } from './MaxPool.js';
import { avgPoolConfig } from './AvgPool.js';
import { maxPoolGradConfig } from './MaxPoolGrad.js';
import { avgPoolGradConfig } from './AvgPoolGrad.js';
import { fusedBatchNormConfig } from './FusedBatchNorm.js';
import { eluConfig, leakyReluConfig, relu6Config, reluConfig, sigmoidConfig, squareConfig } from './elementwise-unary.js';
import { addConfig, maximumConfig, minimumConfig, multiplyConfig, realDivConfig, subConfig } from './elementwise-binary.js';
import { concatConfig } from './Concat.js';
import { padV2Config } from './PadV2.js';
import { maxConfig, meanConfig, minConfig, sumConfig } from './reductions.js';
import { sliceConfig } from './Slice.js';
import { tileConfig } from './Tile.js';
import { stepConfig } from './Step.js';
import { batchNormGradConfig, broadcastConfig, reluGradConfig } from './gradients.js';
import { fusedMatMulConfig } from './_FusedMatMul.js';
import { batchMatMulConfig } from './BatchMatMul.js';
import { gatherV2Config } from './GatherV2.js';

const NATIVE_CONFIGS: KernelConfig[] = [
  conv2DConfig, fusedConv2DConfig, conv2DBackpropInputConfig, conv2DBackpropFilterConfig,
  maxPoolConfig, avgPoolConfig, maxPoolGradConfig, avgPoolGradConfig, fusedBatchNormConfig,
  reluConfig, relu6Config, eluConfig, sigmoidConfig, leakyReluConfig, squareConfig,
  addConfig, subConfig, multiplyConfig, realDivConfig, maximumConfig, minimumConfig, stepConfig,
  sumConfig, meanConfig, maxConfig, minConfig, concatConfig, padV2Config, sliceConfig, tileConfig,
  fusedMatMulConfig, batchMatMulConfig, reluGradConfig, batchNormGradConfig, broadcastConfig, gatherV2Config,
];

/** Kernels with a oneDNN implementation (each still hands arguments it does not cover to tfjs-backend-cpu's). */
export const NATIVE_KERNELS: readonly string[] = NATIVE_CONFIGS.map((c) => c.kernelName).sort();

/**
 * Kernels that run tfjs-backend-cpu's implementation in place, on this backend's own host memory (no
 * copies) and without a warning: views and casts, and the small index, comparison and element-wise
 * kernels of the losses and optimizers, whose cost is small beside the convolutions'. Those of the
 * model zoo's kernels that are not native are all here (a test checks it).
 */
export const SHARED_KERNELS: readonly string[] = [
  'Cast', 'Exp', 'Floor', 'Identity', 'Log', 'Neg', 'NotEqual', 'OneHot', 'Pow', 'Reshape',
  'ResizeBilinear', 'Rsqrt', 'Select', 'SplitV', 'Transpose',
  'ZerosLike', 'ExpandDims', 'Squeeze', 'Fill', 'Range', 'Softmax', 'LogSoftmax', 'Pack', 'Unpack',
  'Sqrt', 'Reciprocal', 'Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'LogicalAnd',
  'Abs', 'ArgMax', 'ClipByValue', 'Prod', 'All', 'Any', 'StridedSlice', 'Pad',
];

const warned = new Set<string>();

/** Kernels outside the native and shared lists that have run so far in this process. */
export function fallbacksSeen(): string[] {
  return [...warned].sort();
}

function fallbackConfig(kernelName: string, quiet: boolean): KernelConfig {
  return {
    kernelName,
    backendName: 'onednn',
    kernelFunc: (params) => {
      if (!quiet && !warned.has(kernelName)) {
        warned.add(kernelName);
        console.warn(`@convkit/backend-onednn: kernel '${kernelName}' has no oneDNN implementation; it runs tfjs-backend-cpu's (single-threaded JavaScript)`);
      }
      return runShared(kernelName, { inputs: params.inputs, backend: params.backend as KernelArgs['backend'], attrs: params.attrs ?? {} });
    },
  };
}

/** Registers every kernel for 'onednn': the native ones, and every other tfjs-backend-cpu kernel as shared or fallback. */
export function registerOnednnKernels(): void {
  const native = new Set(NATIVE_KERNELS);
  const shared = new Set(SHARED_KERNELS);
  const configs = [...NATIVE_CONFIGS];
  for (const cpu of tf.getKernelsForBackend('cpu')) {
    if (!native.has(cpu.kernelName)) configs.push(fallbackConfig(cpu.kernelName, shared.has(cpu.kernelName)));
  }
  for (const config of configs) {
    if (tf.getKernel(config.kernelName, 'onednn')) tf.unregisterKernel(config.kernelName, 'onednn');
    tf.registerKernel(config);
  }
}
