import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Parallel workers on few cores: OpenMP threads must sleep between kernels, not spin (backend-onednn's README).
    env: { OMP_WAIT_POLICY: 'PASSIVE' },
    setupFiles: ['./vitest.setup.ts'],
    // One file at a time: each runs whole networks on both cores.
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
