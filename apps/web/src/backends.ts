import * as tf from '@tensorflow/tfjs-core';
import { type BackendStatus, availableBackends, useBackend } from '@convkit/core';
import './wasm-paths.js';
import '@convkit/backend-cpu';
import '@convkit/backend-wasm';
import '@convkit/backend-webgl';

export { availableBackends, type BackendStatus };

/** Activates `name` (or the best available) and describes what is running, e.g. 'webgl: WebGL 2, float32 textures'. */
export async function activateBackend(name?: string): Promise<{ name: string; detail: string }> {
  const active = await useBackend(name);
  return { name: active, detail: await describe(active) };
}

async function describe(name: string): Promise<string> {
  switch (name) {
    case 'webgl': {
      const version = tf.env().getNumber('WEBGL_VERSION');
      // Without float32 render targets tfjs computes in float16, too coarse for deep networks.
      const precision = tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED') ? 'float32' : 'float16 only: expect degraded outputs';
      return `WebGL ${version} on the GPU, ${precision}`;
    }
    case 'wasm': {
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      return `WebAssembly${simd ? ' with SIMD' : ''}${threads ? ', threaded' : ', one thread'}`;
    }
    case 'cpu':
      return 'plain JavaScript: slowest, works everywhere';
    default:
      return name;
  }
}
