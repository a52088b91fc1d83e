import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { type Availability, type BackendPlugin, currentEnvironment } from '@convkit/core';

/** The name tfjs-node registers its backend under, and so this plugin's name. */
export const TFJS_NODE_BACKEND = 'tensorflow';

/** The npm packages that provide it, preferred first under `variant: 'auto'`. */
export const TFJS_NODE_PACKAGES = { gpu: '@tensorflow/tfjs-node-gpu', cpu: '@tensorflow/tfjs-node' } as const;

export interface TfjsNodeOptions {
  /** Which package to use: 'gpu', 'cpu', or 'auto' (the GPU one when both are installed). Default 'auto'. */
  variant?: 'auto' | keyof typeof TFJS_NODE_PACKAGES;
  /** Resolves a package name to its entry file, or throws when it is not installed. Replaceable for tests. */
  resolve?: (specifier: string) => string;
  /** Evaluates a package (tfjs-node registers its backend as a side effect). Replaceable for tests. */
  load?: (specifier: string) => Promise<unknown>;
}

/**
 * TensorFlow's C library under tfjs, through @tensorflow/tfjs-node or -node-gpu, for users who already have
 * one of them installed and working. Neither is a dependency of this package: both download libtensorflow
 * at install time. Node only. Both packages must use the same copy of @tensorflow/tfjs-core as convkit
 * (4.22.0, deduplicated), or their backend is registered where convkit cannot see it; the plugin checks this.
 */
export function tfjsNodeBackend(options: TfjsNodeOptions = {}): BackendPlugin {
  const resolvePackage = options.resolve ?? createRequire(import.meta.url).resolve;
  const loadPackage = options.load ?? ((specifier: string) => import(specifier));
  let loading: Promise<Availability> | null = null;

  function installed(): string | { available: false; reason: string } {
    const variants = options.variant === undefined || options.variant === 'auto' ? (['gpu', 'cpu'] as const) : [options.variant];
    for (const variant of variants) {
      try {
        resolvePackage(TFJS_NODE_PACKAGES[variant]);
        return TFJS_NODE_PACKAGES[variant];
      } catch {
        // not installed: try the next one
      }
    }
    const names = variants.map((v) => TFJS_NODE_PACKAGES[v]).join(' or ');
    return { available: false, reason: `${names} is not installed (npm i ${TFJS_NODE_PACKAGES[variants[variants.length - 1]!]}@4.22.0; it downloads libtensorflow at install time)` };
  }

  async function loadOnce(specifier: string): Promise<Availability> {
    try {
      await loadPackage(specifier);
    } catch (error) {
      return { available: false, reason: `${specifier} is installed but failed to load: ${(error as Error).message}` };
    }
    if (!tf.findBackendFactory(TFJS_NODE_BACKEND)) {
      return {
        available: false,
        reason: `${specifier} loaded but registered no '${TFJS_NODE_BACKEND}' backend with convkit's @tensorflow/tfjs-core ${tf.version_core}: ` +
          'it is using another copy of tfjs-core; install the same version so that the package manager shares one copy',
      };
    }
    return { available: true };
  }

  return {
    name: TFJS_NODE_BACKEND,
    // Native TensorFlow beats wasm in Node; convkit's own CUDA backend (4) is preferred on NVIDIA GPUs.
    priority: 3,
    async isAvailable() {
      if (currentEnvironment() !== 'node') return { available: false, reason: 'tfjs-node runs in Node only' };
      const found = installed();
      if (typeof found !== 'string') return found;
      loading ??= loadOnce(found);
      return loading;
    },
    async load() {
      const found = installed();
      if (typeof found !== 'string') throw new Error(found.reason);
      loading ??= loadOnce(found);
      const result = await loading;
      if (!result.available) throw new Error(result.reason);
    },
  };
}

export const tfjsNodePlugin = tfjsNodeBackend();
