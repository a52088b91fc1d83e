import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    setupFiles: ['./vitest.setup.ts'],
    // The wasm backend compiles its module once per test file; selective search runs whole images.
    testTimeout: 60_000,
  },
});
