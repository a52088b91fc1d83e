import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    setupFiles: ['./vitest.setup.ts'],
    // vitest's default is one worker per core less one: a single worker on the 2-core machines CI runs on.
    maxWorkers: 2,
    // Whole networks on the cpu backend, and 138M-parameter VGGs anywhere, take seconds per test.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
