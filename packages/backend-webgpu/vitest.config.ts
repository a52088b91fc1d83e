import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Guards against hangs, not a performance target (the suite took 59 s on 2 cores at load 1.1,
    // 98 s at load 6.5; the VGG-11 and AlexNet uploads take most of it).
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
});
