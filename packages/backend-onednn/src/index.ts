import { registerBackendPlugin } from '@convkit/core';
import { onednnBackend } from './base.js';

registerBackendPlugin(onednnBackend);

export { onednnBackend, onednnBackendPlugin, onednnAvailability, onednnLibrary, resolveThreads, type OnednnPluginOptions } from './base.js';
export { OnednnBackend, type OnednnBackendOptions, type OnednnMemoryInfo, type OnednnTensorData } from './backend.js';
export { NATIVE_KERNELS, SHARED_KERNELS, fallbacksSeen } from './kernels/register.js';
export { OnednnKernelError } from './kernels/kernel.js';
export { loadAddon, loadLibrary, addonPath, libraryPath, type NativeAddon, type LoadedLibrary } from './native/addon.js';
