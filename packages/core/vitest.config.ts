import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // The layer-parity harness of packages/test-utils, imported by src/layers/parity.test.ts, runs over
    // these sources rather than core's dist/.
    alias: [{ find: /^@convkit\/core$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) }],
  },
  test: {
    include: ['src/**/*.test.ts'],
    // CNN training on the cpu backend takes a few seconds per optimizer.
    testTimeout: 30_000,
  },
});
