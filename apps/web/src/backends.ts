import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, useBackend } from '@convkit/core';
import './wasm-paths.js';
// The backends the demo offers, one import each: the menu lists what these register, best first.
import '@convkit/backend-cpu';
import { MAX_WASM_THREADS, setWasmThreads, wasmThreads } from '@convkit/backend-wasm';
import '@convkit/backend-webgl';

export { availableBackends };

/**
 * Activates `name` (or the best available) in this worker and describes it. `threads` 1 makes wasm load
 * its single-threaded SIMD binary; otherwise wasm runs threaded wherever the page is cross-origin isolated
 * (SharedArrayBuffer needs it), one thread per logical core, at most 8 (@convkit/backend-wasm's
 * setWasmThreads). The binary and its thread pool are fixed once per worker, when wasm first starts.
 */
export async function activateBackend(name: string | null, threads: 1 | null): Promise<{ name: string; detail: string; threads: number | null }> {
  setWasmThreads(threads);
  const active = await useBackend(name ?? undefined);
  const described = await describe(active);
  return { name: active, ...described };
}

async function describe(name: string): Promise<{ detail: string; threads: number | null }> {
  switch (name) {
    case 'webgl': {
      const version = tf.env().getNumber('WEBGL_VERSION');
      // Without float32 render targets tfjs computes in float16, too coarse for deep networks.
      const precision = tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED') ? 'float32' : 'float16 only: expect degraded outputs';
      return { detail: `WebGL ${version} on the GPU (OffscreenCanvas in the worker), ${precision}`, threads: null };
    }
    case 'wasm': {
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const threaded = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      const threads = wasmThreads() ?? 1;
      const cores = navigator.hardwareConcurrency;
      const why = threaded ? ` (threaded binary; ${cores} logical core${cores === 1 ? '' : 's'}${cores > MAX_WASM_THREADS ? `, at most ${MAX_WASM_THREADS} threads` : ''})` : crossOriginIsolated ? ' (asked for)' : ' (the page is not cross-origin isolated, so no SharedArrayBuffer)';
      return { detail: `WebAssembly${simd ? ' with SIMD' : ''}, ${threads} thread${threads === 1 ? '' : 's'}${why}`, threads };
    }
    case 'cpu':
      return { detail: 'plain JavaScript: slowest, works everywhere', threads: null };
    default:
      return { detail: name, threads: null };
  }
}
