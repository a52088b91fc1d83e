import type { Plugin } from 'vite';

/**
 * Makes tfjs-backend-wasm 4.22's threaded-SIMD build work when bundled.
 *
 * tfjs starts each pthread worker with the script `var WasmBackendModuleThreadedSimd = ` +
 * `wasmFactoryThreadedSimd.toString()`: the source text of Emscripten's module factory, which the worker
 * evaluates on its own, outside the bundle. Bundled, that text refers to names the worker does not have:
 * the minifier renames `_scriptDir` of the closure around the factory and drops its `typeof` guard, and
 * esbuild's keepNames (which the explorer needs for class names) wraps every inner function in a call to
 * its `__name` helper. In the worker each throws `ReferenceError: o is not defined` (or `i`), for every
 * thread (tfjs issues #4107, #4539). So the worker script is instead the package's own, unbundled
 * wasm-out/tfjs-backend-wasm-threaded-simd.js, imported as text: what tfjs loads when it is not bundled.
 */
const BACKEND = /tfjs-backend-wasm\/dist\/backend_wasm\.js$/;
const WORKER_SCRIPT = /`var WasmBackendModuleThreadedSimd = ` \+\s*wasmFactoryThreadedSimd\.toString\(\)/;

export function tfjsWasmThreads(): Plugin {
  return {
    name: 'convkit:tfjs-wasm-threads',
    enforce: 'pre',
    transform(code, id) {
      // Only the file itself, not the proxies the commonjs plugin adds (`?commonjs-es-import`).
      if (!BACKEND.test(id)) return null;
      if (!WORKER_SCRIPT.test(code)) {
        this.error(`${id} no longer builds its pthread script from wasmFactoryThreadedSimd.toString(): check vite-plugins/tfjs-wasm-threads.ts against this tfjs-backend-wasm version`);
      }
      const source = "import convkitThreadedSimdSource from '../wasm-out/tfjs-backend-wasm-threaded-simd.js?raw';\n";
      return { code: source + code.replace(WORKER_SCRIPT, 'convkitThreadedSimdSource'), map: null };
    },
  };
}
