import { registerBackendPlugin } from '@convkit/core';
import { webglBackend } from './base.js';

registerBackendPlugin(webglBackend);

export { webglBackend };
export { webglAvailability, webglBackendPlugin, type WebglBackendOptions } from './base.js';
