import type { BackendPlugin } from '@convkit/core';

/**
 * tfjs-backend-wasm (XNNPACK kernels, SIMD where the runtime has it). In Node the .wasm binaries are read
 * from the installed package; in a browser bundle call `setWasmPaths` from
 * '@tensorflow/tfjs-backend-wasm' first if the bundler does not serve them next to the script.
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
    await import('@tensorflow/tfjs-backend-wasm');
  },
};
