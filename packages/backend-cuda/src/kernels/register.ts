import * as tf from '@tensorflow/tfjs-core';
import { avgPoolConfig } from './AvgPool.js';
import { avgPoolGradConfig } from './AvgPoolGrad.js';
import { batchMatMulConfig } from './BatchMatMul.js';
import { castConfig } from './Cast.js';
import { concatConfig } from './Concat.js';
import { conv2DConfig } from './Conv2D.js';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter.js';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput.js';
import { cpuFallbackKernel } from './cpu-fallback.js';
import { depthwiseConv2dNativeConfig } from './DepthwiseConv2dNative.js';
import { depthwiseConv2dNativeBackpropFilterConfig } from './DepthwiseConv2dNativeBackpropFilter.js';
import { depthwiseConv2dNativeBackpropInputConfig } from './DepthwiseConv2dNativeBackpropInput.js';
import { BINARY_KERNELS } from './elementwise-binary.js';
import { UNARY_KERNELS } from './elementwise-unary.js';
import { expandDimsConfig } from './ExpandDims.js';
import { fillConfig, onesLikeConfig, zerosLikeConfig } from './Fill.js';
import { fusedBatchNormConfig } from './FusedBatchNorm.js';
import { fusedConv2DConfig } from './FusedConv2D.js';
import { fusedDepthwiseConv2DConfig } from './FusedDepthwiseConv2D.js';
import { fusedMatMulConfig } from './_FusedMatMul.js';
import { gatherV2Config } from './GatherV2.js';
import { identityConfig } from './Identity.js';
import { lrnConfig } from './LRN.js';
import { maxPoolConfig } from './MaxPool.js';
import { maxPoolGradConfig } from './MaxPoolGrad.js';
import { oneHotConfig } from './OneHot.js';
import { packConfig } from './Pack.js';
import { padV2Config } from './PadV2.js';
import { rangeConfig } from './Range.js';
import { REDUCTION_KERNELS } from './reductions.js';
import { reshapeConfig } from './Reshape.js';
import { resizeBilinearConfig } from './ResizeBilinear.js';
import { selectConfig } from './Select.js';
import { sliceConfig } from './Slice.js';
import { softmaxConfig } from './Softmax.js';
import { splitVConfig } from './SplitV.js';
import { tileConfig } from './Tile.js';
import { transposeConfig } from './Transpose.js';
import { unpackConfig } from './Unpack.js';

const NATIVE_CONFIGS: tf.KernelConfig[] = [
  conv2DConfig, fusedConv2DConfig, conv2DBackpropInputConfig, conv2DBackpropFilterConfig, depthwiseConv2dNativeConfig,
  fusedDepthwiseConv2DConfig, depthwiseConv2dNativeBackpropInputConfig, depthwiseConv2dNativeBackpropFilterConfig,
  maxPoolConfig, avgPoolConfig, maxPoolGradConfig, avgPoolGradConfig, fusedBatchNormConfig, batchMatMulConfig, fusedMatMulConfig,
  softmaxConfig, concatConfig, packConfig, sliceConfig, splitVConfig, unpackConfig, padV2Config, transposeConfig, reshapeConfig,
  expandDimsConfig, identityConfig, castConfig, fillConfig, zerosLikeConfig, onesLikeConfig, rangeConfig, selectConfig, oneHotConfig,
  gatherV2Config, lrnConfig, resizeBilinearConfig, tileConfig, ...BINARY_KERNELS, ...UNARY_KERNELS, ...REDUCTION_KERNELS,
];

/**
 * Kernels with a CUDA implementation (cuDNN, cuBLAS or a kernel of native/). A native
 * kernel still runs on the CPU for inputs it does not take (string/complex dtypes, NCHW data): it
 * warns once, naming itself and the reason.
 */
export const NATIVE_KERNELS: readonly string[] = NATIVE_CONFIGS.map((k) => k.kernelName).sort();

/** Registers the native kernels for 'cuda', and every other kernel tfjs-backend-cpu has as a CPU fallback. */
export function registerCudaKernels(): void {
  for (const config of NATIVE_CONFIGS) {
    if (!tf.getKernel(config.kernelName, 'cuda')) tf.registerKernel(config);
  }
  for (const { kernelName } of tf.getKernelsForBackend('cpu')) {
    if (!tf.getKernel(kernelName, 'cuda')) tf.registerKernel(cpuFallbackKernel(kernelName));
  }
}
