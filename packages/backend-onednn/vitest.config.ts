import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Parallel workers on few cores: OpenMP threads must sleep between kernels, not spin (backend-onednn's README).
    env: { OMP_WAIT_POLICY: 'PASSIVE' },
    testTimeout: 30_000,
  },
});
