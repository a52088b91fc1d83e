import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, useBackend } from '@convkit/core';
import { describe, expect, it } from 'vitest';
import { cpuBackend } from './index.js';

describe('cpu plugin', () => {
  it('registers itself and reports that it can run here', async () => {
    const status = (await availableBackends()).find((s) => s.name === 'cpu');
    expect(status).toMatchObject({ name: 'cpu', available: true });
    expect(await cpuBackend.isAvailable()).toEqual({ available: true });
  });

  it('becomes the active tfjs backend and runs a convolution', async () => {
    expect(await useBackend('cpu')).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    const y = tf.conv2d(tf.ones([1, 4, 4, 2]) as tf.Tensor4D, tf.ones([3, 3, 2, 1]) as tf.Tensor4D, 1, 'valid');
    expect(Array.from(await y.data())).toEqual([18, 18, 18, 18]);
    y.dispose();
  });

  it('is the default when it is the only registered backend', async () => {
    expect(await useBackend()).toBe('cpu');
  });

  it('names the registered backends when asked for an unknown one', async () => {
    await expect(useBackend('nosuch')).rejects.toThrow(/backend 'nosuch' is not registered; registered: cpu/);
  });
});
