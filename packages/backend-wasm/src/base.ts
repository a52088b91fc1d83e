import { getKernel, registerKernel } from '@tensorflow/tfjs-core';
import type { BackendPlugin } from '@convkit/core';
import { registerCpuFallbackKernels } from './kernels/cpu-fallback.js';
import { conv2DBackpropFilterConfig } from './kernels/Conv2DBackpropFilter.js';
import { registerTransposedMatMulKernels } from './kernels/transposed-matmul.js';
import { installThreadSetting } from './threads.js';

export { MAX_WASM_THREADS, setWasmThreads, wasmThreads } from './threads.js';

/**
 * tfjs-backend-wasm (XNNPACK kernels, SIMD where the runtime has it). The few kernels it lacks for
 * training run on tfjs-backend-cpu (kernels/cpu-fallback.ts). In Node the .wasm binaries are read
 * from the installed package; in a browser bundle call `setWasmPaths` from
 * '@tensorflow/tfjs-backend-wasm' first if the bundler does not serve them next to the script.
 * Threads: `setWasmThreads` before the backend starts (threads.ts); by default one per logical core where
 * the page is cross-origin isolated.
 */
export const wasmBackend: BackendPlugin = {
  name: 'wasm',
  priority: 2,
  async isAvailable() {
    if (typeof WebAssembly !== 'object' || typeof WebAssembly.instantiate !== 'function') {
      return { available: false, reason: 'this runtime has no WebAssembly' };
    }
    return { available: true };
  },
  async load() {
    await import('@tensorflow/tfjs-backend-cpu');
    installThreadSetting(await import('@tensorflow/tfjs-backend-wasm'));
    // Kernels tfjs-backend-wasm lacks; without this one no convolution could be trained on wasm.
    if (!getKernel(conv2DBackpropFilterConfig.kernelName, 'wasm')) registerKernel(conv2DBackpropFilterConfig);
    registerCpuFallbackKernels();
    registerTransposedMatMulKernels();
  },
};
