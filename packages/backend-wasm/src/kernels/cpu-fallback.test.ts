import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@convkit/core';
import { describe, expect, it } from 'vitest';
import { CPU_FALLBACK_KERNELS } from '../index.js';

/** Gradients computed on wasm must equal the same gradients on cpu. */
async function gradientsOn(backend: string, f: (x: tf.Tensor) => tf.Tensor, x: number[][][][]): Promise<number[]> {
  // The wasm plugin loads tfjs' cpu backend for its fallbacks, so 'cpu' is there without its plugin.
  if (backend === 'wasm') await useBackend('wasm');
  else await tf.setBackend(backend);
  const g = tf.grad(f)(tf.tensor4d(x));
  const values = Array.from(await g.data());
  g.dispose();
  return values;
}

describe('kernels wasm runs on the cpu backend', () => {
  it('are registered for wasm', async () => {
    await useBackend('wasm');
    for (const name of CPU_FALLBACK_KERNELS) expect(tf.getKernel(name, 'wasm'), name).toBeDefined();
  });

  it('MaxPoolGrad routes the gradient of an all-negative window to its maximum', async () => {
    const x = [[[[-2], [-1]], [[-3], [-4]]]];
    const pool = (t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid');
    expect(await gradientsOn('wasm', pool, x)).toEqual([0, 1, 0, 0]);
  });

  it('depthwise convolution and gather gradients equal the cpu backend', async () => {
    const x = [[[[1, -2], [3, 4], [0.5, 1]], [[-1, 2], [2, -3], [1, 1]], [[0, 1], [1, 0], [2, 2]]]];
    const filter = tf.tensor4d([0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8], [2, 2, 2, 1]);
    const depthwise = (t: tf.Tensor) => tf.mul(tf.depthwiseConv2d(t as tf.Tensor4D, filter, 1, 'valid'), tf.reshape(tf.range(1, 9), [1, 2, 2, 2]));
    expect(await gradientsOn('wasm', depthwise, x)).toEqual(await gradientsOn('cpu', depthwise, x));
    const gather = (t: tf.Tensor) => tf.mul(tf.gather(tf.reshape(t, [9, 2]), [0, 4, 4, 8]), 3);
    expect(await gradientsOn('wasm', gather, x)).toEqual(await gradientsOn('cpu', gather, x));
  });
});
