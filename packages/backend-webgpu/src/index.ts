import { registerBackendPlugin } from '@convkit/core';
import { webgpuBackend } from './base.js';

registerBackendPlugin(webgpuBackend);

export { webgpuBackend };
export { webgpuAvailability, webgpuBackendPlugin, type WebgpuBackendOptions } from './base.js';
