import { registerBackendPlugin } from '@convkit/core';
import { wasmBackend } from './base.js';

registerBackendPlugin(wasmBackend);

export { wasmBackend };
export { CPU_FALLBACK_KERNELS } from './kernels/cpu-fallback.js';
