import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The end-to-end test runs classifiers in Chromium on software WebGL, wasm and cpu.
    testTimeout: 240_000,
    hookTimeout: 60_000,
  },
});
