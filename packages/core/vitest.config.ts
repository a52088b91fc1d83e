import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // CNN training on the cpu backend takes a few seconds per optimizer.
    testTimeout: 30_000,
  },
});
