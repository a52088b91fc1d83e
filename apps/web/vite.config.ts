import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { serviceWorker } from './vite-plugins/service-worker.js';
import { tfjsWasmThreads } from './vite-plugins/tfjs-wasm-threads.js';

/**
 * Cross-origin isolation: SharedArrayBuffer, and so tfjs-backend-wasm's threads, exist only on a page
 * served with these two headers. dist/_headers says the same to hosts that read it (Netlify, Cloudflare
 * Pages); the service worker adds them where a host sends none (docs/web.md).
 */
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  // Relative URLs: the build works from any folder or static host.
  base: './',
  resolve: { dedupe: ['@tensorflow/tfjs-core'] },
  // Module.typeName is the class name ('Conv2d'), which the explorer shows; minifying must not rename classes.
  esbuild: { keepNames: true },
  server: { headers: ISOLATION },
  preview: { headers: ISOLATION },
  plugins: [tfjsWasmThreads(), serviceWorker(fileURLToPath(new URL('./src/service-worker.ts', import.meta.url)))],
  // The workers load backends with dynamic imports, which needs module workers; they bundle tfjs-backend-wasm too.
  worker: { format: 'es', plugins: () => [tfjsWasmThreads()] },
  build: {
    target: 'es2022',
    // The tfjs kernels are most of the bundle; they load once and stay cached.
    chunkSizeWarningLimit: 4096,
  },
});
