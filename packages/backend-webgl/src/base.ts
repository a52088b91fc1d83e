import * as tf from '@tensorflow/tfjs-core';
import type { Availability, BackendPlugin } from '@convkit/core';
import { padV2Config } from './kernels/PadV2.js';

export interface WebglBackendOptions {
  /**
   * Use WebGL even where the browser offers only a context with a major performance caveat (typically
   * software rendering). tfjs refuses such a context by default (it asks for `failIfMajorPerformanceCaveat`),
   * and rightly: wasm is faster than software WebGL. Sets tfjs's `SOFTWARE_WEBGL_ENABLED` flag when the
   * backend loads. Default: false. (Headless Chromium with --disable-gpu gives SwiftShader without the
   * caveat, so the browser tests run the default plugin.)
   */
  allowSoftwareRendering?: boolean;
}

type ProbeCanvas = { getContext(kind: string, attributes?: object): unknown };

function newCanvas(): ProbeCanvas {
  return typeof OffscreenCanvas !== 'undefined'
    ? (new OffscreenCanvas(1, 1) as unknown as ProbeCanvas)
    : (document.createElement('canvas') as unknown as ProbeCanvas);
}

/** The WebGL version a fresh canvas gives with these context attributes, or null; the probe context is released. */
function probe(failIfMajorPerformanceCaveat: boolean): 2 | 1 | null {
  for (const [kind, version] of [['webgl2', 2], ['webgl', 1]] as const) {
    const gl = newCanvas().getContext(kind, { failIfMajorPerformanceCaveat }) as WebGLRenderingContext | null;
    if (gl) {
      // Browsers cap live contexts (16 in Chromium) and drop the oldest; do not hold one for a question.
      gl.getExtension?.('WEBGL_lose_context')?.loseContext();
      return version;
    }
  }
  return null;
}

/** Whether WebGL can run here, asking for the context the way tfjs-backend-webgl will. */
export function webglAvailability(options: WebglBackendOptions = {}): Availability {
  if (typeof document === 'undefined' && typeof OffscreenCanvas === 'undefined') {
    return { available: false, reason: 'no WebGL: not running in a browser' };
  }
  const strict = !options.allowSoftwareRendering;
  if (probe(strict) !== null) return { available: true };
  if (strict && probe(false) !== null) {
    return {
      available: false,
      reason:
        "no WebGL: getContext('webgl2') returned null for a context without a major performance caveat: this browser " +
        'renders WebGL in software only, where wasm is faster. To use it anyway, register ' +
        "webglBackendPlugin({ allowSoftwareRendering: true }) from '@convkit/backend-webgl/base'",
    };
  }
  return {
    available: false,
    reason: "no WebGL: getContext('webgl2') returned null, and so did getContext('webgl'): WebGL is disabled or unsupported in this browser",
  };
}

/**
 * tfjs-backend-webgl: shaders over float textures on the GPU, WebGL 2 where there is one, else WebGL 1.
 * The highest priority of the backends: where a browser has a GPU, it is the fast path. Its PadV2 kernel
 * is replaced by kernels/PadV2.ts on load; every tfjs flag keeps its default.
 */
export function webglBackendPlugin(options: WebglBackendOptions = {}): BackendPlugin {
  return {
    name: 'webgl',
    priority: 3,
    async isAvailable() {
      return webglAvailability(options);
    },
    async load() {
      await import('@tensorflow/tfjs-backend-webgl');
      tf.env().set('SOFTWARE_WEBGL_ENABLED', options.allowSoftwareRendering === true);
      installKernelFixes();
    },
  };
}

const fixedKernels = new WeakSet<tf.KernelFunc>();

/** Puts convkit's PadV2 (kernels/PadV2.ts) over the stock webgl one it wraps; loading twice wraps once. */
function installKernelFixes(): void {
  const stock = tf.getKernel(tf.PadV2, 'webgl');
  if (!stock || fixedKernels.has(stock.kernelFunc)) return;
  const fixed = padV2Config(stock.kernelFunc);
  fixedKernels.add(fixed.kernelFunc);
  tf.unregisterKernel(tf.PadV2, 'webgl');
  tf.registerKernel(fixed);
}

/** The plugin `@convkit/backend-webgl` registers: hardware WebGL only. */
export const webglBackend: BackendPlugin = webglBackendPlugin();
