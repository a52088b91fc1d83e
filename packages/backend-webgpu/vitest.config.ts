import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Guards against hangs, not a performance target: in software WebGL each test takes minutes on a
    // loaded 2-core machine (shader compilation dominates; docs/web.md lists measured times).
    testTimeout: 900_000,
    hookTimeout: 120_000,
  },
});
