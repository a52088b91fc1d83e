import type { BackendPlugin } from '@convkit/core';

/** tfjs-backend-cpu: plain JavaScript kernels; runs everywhere, slowest. The fallback of last resort. */
export const cpuBackend: BackendPlugin = {
  name: 'cpu',
  priority: 1,
  async isAvailable() {
    return { available: true };
  },
  async load() {
    await import('@tensorflow/tfjs-backend-cpu');
  },
};
