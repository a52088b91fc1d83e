import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Most tests start the built CLI; on a busy two-core machine one start alone can take seconds.
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
