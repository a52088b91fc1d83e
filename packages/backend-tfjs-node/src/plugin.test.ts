import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { availableBackends, registerBackendPlugin, useBackend } from '@convkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { TFJS_NODE_BACKEND, tfjsNodeBackend } from './base.js';
import { tfjsNodePlugin } from './index.js';

/**
 * Neither tfjs-node package can be installed here (both download libtensorflow), so the paths that need
 * one use stand-ins: a resolver that says which package is "installed" and a loader that registers (or
 * fails to register) a backend the way tfjs-node does, as a side effect of loading.
 */
const installedOnly = (...names: string[]) => (specifier: string) => {
  if (!names.includes(specifier)) throw Object.assign(new Error(`Cannot find module '${specifier}'`), { code: 'MODULE_NOT_FOUND' });
  return `/fake/node_modules/${specifier}/index.js`;
};

afterEach(() => {
  if (tf.findBackend(TFJS_NODE_BACKEND) || tf.findBackendFactory(TFJS_NODE_BACKEND)) tf.removeBackend(TFJS_NODE_BACKEND);
});

describe('tfjs-node adapter', () => {
  it('registers itself and says exactly why it cannot run when neither package is installed', async () => {
    const status = (await availableBackends()).find((s) => s.name === TFJS_NODE_BACKEND);
    expect(status?.available).toBe(false);
    expect(status?.reason).toMatch(/@tensorflow\/tfjs-node-gpu or @tensorflow\/tfjs-node is not installed \(npm i @tensorflow\/tfjs-node@4.22.0/);
    await expect(useBackend(TFJS_NODE_BACKEND)).rejects.toThrow(/backend 'tensorflow' is not available here: .*not installed/);
    expect(tfjsNodePlugin.name).toBe('tensorflow');
  });

  it('prefers tfjs-node-gpu when both are installed, and honours an explicit variant', async () => {
    const loaded: string[] = [];
    const load = async (specifier: string) => {
      loaded.push(specifier);
      tf.registerBackend(TFJS_NODE_BACKEND, () => new MathBackendCPU());
    };
    const both = installedOnly('@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu');
    expect(await tfjsNodeBackend({ resolve: both, load }).isAvailable()).toEqual({ available: true });
    tf.removeBackend(TFJS_NODE_BACKEND);
    expect(await tfjsNodeBackend({ resolve: both, load, variant: 'cpu' }).isAvailable()).toEqual({ available: true });
    expect(loaded).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
    const gpuOnly = await tfjsNodeBackend({ resolve: installedOnly('@tensorflow/tfjs-node'), load, variant: 'gpu' }).isAvailable();
    expect(gpuOnly).toEqual({ available: false, reason: expect.stringMatching(/^@tensorflow\/tfjs-node-gpu is not installed/) });
  });

  it('reports a package that is installed but fails to load, with its own message', async () => {
    const plugin = tfjsNodeBackend({
      resolve: installedOnly('@tensorflow/tfjs-node'),
      load: async () => {
        throw new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory');
      },
    });
    expect(await plugin.isAvailable()).toEqual({
      available: false,
      reason: '@tensorflow/tfjs-node is installed but failed to load: libtensorflow.so.2: cannot open shared object file: No such file or directory',
    });
    await expect(plugin.load()).rejects.toThrow(/failed to load: libtensorflow.so.2/);
  });

  it('detects a tfjs-node that registered its backend with another copy of tfjs-core', async () => {
    const plugin = tfjsNodeBackend({ resolve: installedOnly('@tensorflow/tfjs-node'), load: async () => {} });
    const result = await plugin.isAvailable();
    expect(result.available).toBe(false);
    expect(!result.available && result.reason).toMatch(/registered no 'tensorflow' backend with convkit's @tensorflow\/tfjs-core 4\.22\.0: it is using another copy/);
  });

  it('becomes the active backend through useBackend once the package has registered it', async () => {
    const plugin = tfjsNodeBackend({
      resolve: installedOnly('@tensorflow/tfjs-node'),
      load: async () => {
        tf.registerBackend(TFJS_NODE_BACKEND, () => new MathBackendCPU());
      },
    });
    registerBackendPlugin(plugin);
    expect(await useBackend(TFJS_NODE_BACKEND)).toBe(TFJS_NODE_BACKEND);
    expect(tf.getBackend()).toBe(TFJS_NODE_BACKEND);
    const x = tf.tensor1d([1, 2, 3]);
    expect(Array.from(await x.data())).toEqual([1, 2, 3]);
    x.dispose();
  });
});
