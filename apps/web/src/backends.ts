import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { availableBackends, useBackend } from '@convkit/core';
import './wasm-paths.js';
// The backends the demo offers, one import each: the menu lists what these register, best first.
import '@convkit/backend-cpu';
import '@convkit/backend-wasm';
import '@convkit/backend-webgl';

export { availableBackends };

/**
 * Activates `name` (or the best available) in this worker and describes it. `threads` 1 makes wasm load
 * its single-threaded SIMD binary; otherwise wasm runs threaded wherever the page is cross-origin isolated
 * (SharedArrayBuffer needs it), with as many threads as tfjs allows: half the logical cores (taken to be
 * hyper-threads), 1 to 8 (its C++ init_with_threads_count caps it so). The binary is chosen once per
 * worker, when wasm first loads.
 */
export async function activateBackend(name: string | null, threads: 1 | null): Promise<{ name: string; detail: string; threads: number | null }> {
  if (threads === 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
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
      const threads = threaded ? getThreadsCount() : 1;
      const why = threaded ? ` (threaded binary; tfjs uses half of the ${navigator.hardwareConcurrency} logical cores, 1 to 8)` : crossOriginIsolated ? ' (asked for)' : ' (the page is not cross-origin isolated, so no SharedArrayBuffer)';
      return { detail: `WebAssembly${simd ? ' with SIMD' : ''}, ${threads} thread${threads === 1 ? '' : 's'}${why}`, threads };
    }
    case 'cpu':
      return { detail: 'plain JavaScript: slowest, works everywhere', threads: null };
    default:
      return { detail: name, threads: null };
  }
}
