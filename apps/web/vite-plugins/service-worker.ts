import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Plugin, transformWithEsbuild } from 'vite';

/**
 * Emits src/service-worker.ts as dist/sw.js with the build's file list (every emitted file but the service
 * worker itself) and a hash of their names as its version: a new build changes sw.js, so browsers
 * install it and drop the old cache. Written here rather than taken from Workbox (vite-plugin-pwa): the
 * worker is 60 lines, and Workbox's build tooling would add a Babel and Rollup toolchain to the demo.
 */
export function serviceWorker(source: string): Plugin {
  return {
    name: 'convkit:service-worker',
    apply: 'build',
    enforce: 'post',
    async generateBundle(_options, bundle) {
      const files = Object.keys(bundle).filter((name) => name !== 'sw.js' && !name.endsWith('.map')).sort();
      const precache = ['./', ...files.map((name) => `./${name}`)];
      const version = createHash('sha256').update(precache.join('\n')).digest('hex').slice(0, 12);
      const { code } = await transformWithEsbuild(readFileSync(source, 'utf8'), source, { loader: 'ts', target: 'es2022', minify: true });
      this.emitFile({
        type: 'asset',
        fileName: 'sw.js',
        source: `const PRECACHE=${JSON.stringify(precache)};const VERSION=${JSON.stringify(version)};\n${code}`,
      });
    },
  };
}
