import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    setupFiles: ['./vitest.setup.ts'],
    // The wasm backend compiles its module once per test file; fcn_resnet50 and the training run take seconds.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
