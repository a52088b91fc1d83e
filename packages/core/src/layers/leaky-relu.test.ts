import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { testBackends, useTestBackend } from '../test-backends.js';
import { LeakyReLU } from './leaky-relu.js';

/**
 * torch.nn.LeakyReLU's definition, checked directly (no PyTorch fixture): f(x) = max(0, x) + slope * min(0, x)
 * and, for the gradient of sum(f(x) * probe), probe where x > 0 and slope * probe where x < 0, in float64.
 * Inputs keep away from 0, where the gradient is one-sided.
 */
const X = [-3.5, -1, -0.25, -1e-3, 2e-3, 0.5, 1, 7.25];
const PROBE = [0.3, -1.2, 2, 0.7, -0.4, 1.1, -2.5, 0.9];
const formula = (x: number, slope: number) => Math.max(0, x) + slope * Math.min(0, x);

const backends = await testBackends();

describe.each(backends)('%s backend', (backend) => {
  beforeAll(() => useTestBackend(backend));

  it.each([
    ['PyTorch’s default 0.01', undefined, 0.01],
    ['YOLO’s 0.1', 0.1, 0.1],
    ['ReLU’s 0', 0, 0],
    ['the identity’s 1', 1, 1],
    ['1.5, above one,', 1.5, 1.5],
    ['-0.2, negative,', -0.2, -0.2],
  ])('slope %s: values and input gradient follow the formula', async (_, given, slope) => {
    const before = tf.memory().numTensors;
    const layer = given === undefined ? new LeakyReLU() : new LeakyReLU(given);
    expect(layer.negativeSlope).toBe(slope);
    const x = tf.tensor4d(X, [1, 2, 2, 2]);
    const probe = tf.tensor4d(PROBE, [1, 2, 2, 2]);
    const y = layer.call(x);
    const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(layer.call(input), probe)))(x);
    const [values, gradient] = [await y.data(), await dx.data()];
    X.forEach((v, i) => {
      expect(values[i]).toBeCloseTo(formula(v, slope), 6);
      expect(gradient[i]).toBeCloseTo(PROBE[i]! * (v > 0 ? 1 : slope), 6);
    });
    expect(y.shape).toEqual([1, 2, 2, 2]);
    tf.dispose([x, probe, y, dx]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('maps 0 to 0 and adds nothing to the state dict', async () => {
    const layer = new LeakyReLU();
    const y = layer.call(tf.zeros([1, 1, 1, 3]));
    expect(Array.from(await y.data())).toEqual([0, 0, 0]);
    expect((await layer.stateDict()).size).toBe(0);
    y.dispose();
  });
});

it('refuses a slope that is not a finite number', () => {
  expect(() => new LeakyReLU(Number.NaN)).toThrow('LeakyReLU negativeSlope must be a finite number, got NaN');
});
