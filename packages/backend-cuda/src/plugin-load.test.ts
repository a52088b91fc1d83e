import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@convkit/core';
import { describe, expect, it, vi } from 'vitest';
import { referenceAddon } from '../test/reference-addon.js';

// The plugin's load path (availability, kernel and backend registration, the TF32 flag) over the
// host model of the addon, since no GPU is here to load the real one.
const addon = referenceAddon();
const setTf32 = vi.spyOn(addon, 'setTf32');
vi.mock('./native/addon.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('./native/addon.js')>()),
  loadAddon: () => ({ addon, path: 'reference' }),
}));

const { TF32_FLAG, cudaBackend } = await import('./index.js');

describe('cuda plugin, loaded', () => {
  it('becomes the active tfjs backend through useBackend and runs kernels', async () => {
    expect(await cudaBackend.isAvailable()).toEqual({ available: true });
    expect(await useBackend()).toBe('cuda');
    expect(tf.getBackend()).toBe('cuda');
    const y = tf.conv2d(tf.ones([1, 4, 4, 2]) as tf.Tensor4D, tf.ones([3, 3, 2, 1]) as tf.Tensor4D, 1, 'valid');
    expect(Array.from(await y.data())).toEqual([18, 18, 18, 18]);
    y.dispose();
  });

  it('switches TF32 through the CUDA_TF32 flag, off by default', async () => {
    await useBackend('cuda');
    expect(tf.env().getBool(TF32_FLAG)).toBe(false);
    tf.env().set(TF32_FLAG, true);
    expect(setTf32).toHaveBeenLastCalledWith(true);
    tf.env().set(TF32_FLAG, false);
    expect(setTf32).toHaveBeenLastCalledWith(false);
  });
});
