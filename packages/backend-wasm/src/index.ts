import { registerBackendPlugin } from '@convkit/core';
import { MAX_WASM_THREADS, setWasmThreads, wasmBackend, wasmThreads } from './base.js';

registerBackendPlugin(wasmBackend);

export { MAX_WASM_THREADS, setWasmThreads, wasmBackend, wasmThreads };
export { CPU_FALLBACK_KERNELS } from './kernels/cpu-fallback.js';
