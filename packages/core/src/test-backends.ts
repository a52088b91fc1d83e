import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// tfjs-core registers no gradients by itself; vitest.config.ts pre-bundles this module so Node can load it.
import './gradients.js';

/**
 * Test-only: core cannot depend on @convkit/backend-* (they depend on core), so its tests load the raw
 * tfjs backends it has as devDependencies and loop over every one that registers and initialises here,
 * or over the comma-separated list in CONVKIT_BACKENDS (e.g. `CONVKIT_BACKENDS=wasm`).
 */
export async function testBackends(): Promise<string[]> {
  const registered = Object.keys(tf.engine().registryFactory);
  const requested = process.env.CONVKIT_BACKENDS?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = requested?.filter((name) => !registered.includes(name)) ?? [];
  if (unknown.length) {
    throw new Error(`CONVKIT_BACKENDS names ${unknown.join(', ')}, but only ${registered.join(', ')} registered`);
  }
  const usable: string[] = [];
  for (const name of requested ?? registered) {
    if (await tf.setBackend(name)) usable.push(name);
    else if (requested) throw new Error(`backend '${name}' from CONVKIT_BACKENDS failed to initialise`);
  }
  return usable;
}

/** Makes `name` the active backend; for a `beforeAll` of a per-backend `describe`. */
export async function useTestBackend(name: string): Promise<void> {
  if (tf.getBackend() !== name && !(await tf.setBackend(name))) throw new Error(`backend '${name}' failed to initialise`);
  await tf.ready();
}

export interface Closeness {
  /** Largest |actual - expected| over the tensor divided by the largest |expected|: the measure tolerances are stated in. */
  relative: number;
  absolute: number;
}

export function closeness(actual: ArrayLike<number>, expected: ArrayLike<number>): Closeness {
  if (actual.length !== expected.length) throw new Error(`${actual.length} values, expected ${expected.length}`);
  let scale = 0;
  let absolute = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    const d = Math.abs(actual[i]! - expected[i]!);
    absolute = Number.isNaN(d) ? Infinity : Math.max(absolute, d);
  }
  return { relative: absolute / (scale || 1), absolute };
}

/** Throws, with the measured error, unless `actual` is within `tolerance` of `expected` relative to its largest magnitude. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): Closeness {
  const c = closeness(actual, expected);
  if (!(c.relative <= tolerance)) {
    throw new Error(`${what}: max error ${c.absolute.toExponential(2)} is ${c.relative.toExponential(2)} of the largest value, over the tolerance ${tolerance}`);
  }
  return c;
}

/** PyTorch's NCHW host data to our NHWC order (other ranks pass through). */
export function nchwToNhwc(data: ArrayLike<number>, shape: readonly number[]): { data: Float32Array; shape: number[] } {
  if (shape.length !== 4) return { data: Float32Array.from(data), shape: shape.slice() };
  const [n, c, h, w] = shape as [number, number, number, number];
  const out = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    out[((b * h + y) * w + x) * c + ch] = data[((b * c + ch) * h + y) * w + x]!;
  }
  return { data: out, shape: [n, h, w, c] };
}
