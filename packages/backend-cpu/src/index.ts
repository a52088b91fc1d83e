import { registerBackendPlugin } from '@convkit/core';
import { cpuBackend } from './base.js';

registerBackendPlugin(cpuBackend);

export { cpuBackend };
