import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { Availability, BackendPlugin } from '@convkit/core';
import { OnednnBackend } from './backend.js';
import { type LoadedLibrary, loadLibrary } from './native/addon.js';
import { registerOnednnKernels } from './kernels/register.js';
import { registerOnednnGradients } from './kernels/gradients.js';

export interface OnednnPluginOptions {
  /** oneDNN's threads; default: CONVKIT_ONEDNN_THREADS, else every core Node sees (`os.availableParallelism()`). */
  threads?: number;
  /** Plugin priority: 3 puts onednn ahead of wasm (2) and behind cuda (4) where it can run. */
  priority?: number;
}

/** The thread count from the option, CONVKIT_ONEDNN_THREADS, or the machine. Throws on a value that is not a positive integer. */
export function resolveThreads(option: number | undefined): number {
  const fromEnv = process.env.CONVKIT_ONEDNN_THREADS;
  const value = option ?? (fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : availableParallelism());
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`onednn threads must be a positive integer, got ${option !== undefined ? option : `CONVKIT_ONEDNN_THREADS='${fromEnv}'`}`);
  }
  return value;
}

/** Why the backend cannot run here, or that it can; never throws. */
export async function onednnAvailability(): Promise<Availability> {
  if (typeof process === 'undefined' || !process.versions?.node) return { available: false, reason: 'onednn runs in Node only' };
  const loaded = loadLibrary();
  return loaded.library ? { available: true } : { available: false, reason: loaded.reason };
}

/** The oneDNN library in use (version, CPU runtime, ISA code), or null where it is not loaded. */
export function onednnLibrary(): LoadedLibrary | null {
  const loaded = loadLibrary();
  return loaded.library;
}

/**
 * A convkit plugin for the `onednn` backend. `onednnBackend` (registered by the package's main entry)
 * is `onednnBackendPlugin()`; register another to change the options:
 * `registerBackendPlugin(onednnBackendPlugin({ threads: 4 }))`.
 */
export function onednnBackendPlugin(options: OnednnPluginOptions = {}): BackendPlugin {
  const priority = options.priority ?? 3;
  return {
    name: 'onednn',
    priority,
    isAvailable: onednnAvailability,
    async load() {
      const loaded = loadLibrary();
      if (!loaded.library) throw new Error(loaded.reason);
      const threads = resolveThreads(options.threads);
      await import('@tensorflow/tfjs-backend-cpu');
      registerOnednnKernels();
      registerOnednnGradients();
      if (tf.findBackendFactory('onednn')) tf.removeBackend('onednn');
      tf.registerBackend('onednn', () => new OnednnBackend(loaded.addon, { threads }), priority);
    },
  };
}

export const onednnBackend: BackendPlugin = onednnBackendPlugin();
