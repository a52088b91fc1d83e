import { registerBackendPlugin } from '@convkit/core';
import { tfjsNodePlugin } from './base.js';

registerBackendPlugin(tfjsNodePlugin);

export { tfjsNodePlugin };
export { TFJS_NODE_BACKEND, TFJS_NODE_PACKAGES, type TfjsNodeOptions, tfjsNodeBackend } from './base.js';
