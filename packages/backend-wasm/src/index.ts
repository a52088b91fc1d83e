import { registerBackendPlugin } from '@convkit/core';
import { wasmBackend } from './base.js';

registerBackendPlugin(wasmBackend);

export { wasmBackend };
