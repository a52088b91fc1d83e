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

// One closeness measure for every suite: the layer-parity harness's, which imports nothing from core.
export { type Closeness, closeness, expectClose } from '../../test-utils/src/layer-parity/closeness.js';
