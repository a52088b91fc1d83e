import { defineConfig } from 'vite';

export default defineConfig({
  // Relative URLs: the build works from any folder or static host.
  base: './',
  resolve: { dedupe: ['@tensorflow/tfjs-core'] },
  // Module.typeName is the class name ('Conv2d'), which the explorer shows; minifying must not rename classes.
  esbuild: { keepNames: true },
  // The summary worker loads its backends with dynamic imports, which needs module workers.
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    // The tfjs kernels are most of the bundle; they load once and stay cached.
    chunkSizeWarningLimit: 4096,
  },
});
