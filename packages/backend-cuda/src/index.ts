import { registerBackendPlugin } from '@convkit/core';
import { cudaBackend } from './base.js';

registerBackendPlugin(cudaBackend);

export { cudaBackend, cudaBackendPlugin, cudaAvailability, unavailableReasons, TF32_FLAG, type CudaPluginOptions } from './base.js';
export { CudaBackend, type CudaBackendOptions, type CudaMemoryInfo } from './backend.js';
export { NATIVE_KERNELS } from './kernels/register.js';
export { fallbacksSeen } from './kernels/cpu-fallback.js';
export { CudaKernelError } from './kernels/kernel.js';
export { loadAddon, addonPath, type NativeAddon, type ProbeResult } from './native/addon.js';
