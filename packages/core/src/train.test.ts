import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { deterministicStateDict } from './deterministic.js';
import { BatchNorm2d } from './layers/batch-norm2d.js';
import { Conv2d } from './layers/conv2d.js';
import { Flatten } from './layers/flatten.js';
import { Linear } from './layers/linear.js';
import { MaxPool2d } from './layers/max-pool2d.js';
import { ReLU } from './layers/relu.js';
import { Sequential } from './layers/sequential.js';
import type { Module } from './module.js';
import { seededRandom } from './random.js';
import { testBackends, useTestBackend } from './test-backends.js';
import { crossEntropy, trainStep } from './train.js';

/**
 * Bars on noise: x: [n, 8, 8, 1], label 0 for a vertical bar, 1 for a horizontal one, at a random
 * position. No linear function of the pixels separates them (the column sums and row sums of its
 * weights would need opposite signs), so a model needs a hidden layer or a convolution.
 */
function bars(n: number, seed: number): { x: tf.Tensor4D; labels: tf.Tensor1D } {
  const next = seededRandom(seed);
  const pixels = new Float32Array(n * 64);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    const at = Math.floor(next() * 8);
    for (let p = 0; p < 64; p++) {
      const [row, col] = [Math.floor(p / 8), p % 8];
      pixels[i * 64 + p] = 0.3 * (next() - 0.5) + ((labels[i] === 0 ? col : row) === at ? 1 : 0);
    }
  }
  return { x: tf.tensor4d(pixels, [n, 8, 8, 1]), labels: tf.tensor1d(labels, 'int32') };
}

const cnn = () => new Sequential(new Conv2d(1, 4, 3, { padding: 1 }), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(64, 2));
const mlp = () => new Sequential(new Flatten(), new Linear(64, 16), new ReLU(), new Linear(16, 2));

async function accuracy(model: Module, x: tf.Tensor, labels: tf.Tensor): Promise<number> {
  model.eval();
  const correct = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(model.call(x), 1), labels), 'int32')));
  const [n] = await correct.data();
  correct.dispose();
  return n! / labels.size;
}

/** Trains full-batch on `examples` bars for `steps`; returns the first and the mean of the last ten losses and the test accuracy. */
async function fit(model: Module, optimizer: tf.Optimizer, steps: number, examples: number) {
  model.loadStateDict(deterministicStateDict(model, 11));
  const train = bars(examples, 1);
  const test = bars(64, 2);
  model.train();
  const losses: number[] = [];
  let tensorsAfterFirstStep = 0;
  for (let step = 0; step < steps; step++) {
    losses.push(await trainStep(model, optimizer, () => crossEntropy(model.call(train.x), train.labels)));
    // The first step creates the optimizer's slots; after it, steps must not add tensors.
    if (step === 0) tensorsAfterFirstStep = tf.memory().numTensors;
    else expect(tf.memory().numTensors).toBe(tensorsAfterFirstStep);
  }
  const result = { first: losses[0]!, last: losses.slice(-10).reduce((a, b) => a + b, 0) / 10, accuracy: await accuracy(model, test.x, test.labels) };
  tf.dispose([train.x, train.labels, test.x, test.labels]);
  optimizer.dispose();
  model.dispose();
  return result;
}

const backends = await testBackends();

describe.each(backends)('%s backend', (backend) => {
  beforeAll(() => useTestBackend(backend));

  // The CNN needs Conv2DBackpropFilter, which tfjs-backend-wasm 4.22 does not have.
  const cnnTrains = tf.getKernel('Conv2DBackpropFilter', backend) !== undefined;

  it.runIf(cnnTrains)('SGD trains a small CNN to 95% test accuracy in 40 steps', async () => {
    const r = await fit(cnn(), tf.train.sgd(0.1), 40, 32);
    expect(r.last).toBeLessThan(r.first / 4);
    expect(r.accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it.runIf(cnnTrains)('Adam trains a small CNN to 95% test accuracy in 40 steps', async () => {
    const r = await fit(cnn(), tf.train.adam(0.02), 40, 32);
    expect(r.last).toBeLessThan(r.first / 4);
    expect(r.accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it.runIf(!cnnTrains)('training a CNN fails naming the missing kernel and the backend', async () => {
    await expect(fit(cnn(), tf.train.sgd(0.1), 1, 32)).rejects.toThrow(`Kernel 'Conv2DBackpropFilter' not registered for backend '${backend}'`);
  });

  it('Adam trains a small MLP to 95% test accuracy in 150 steps', async () => {
    const r = await fit(mlp(), tf.train.adam(0.01), 150, 256);
    expect(r.last).toBeLessThan(r.first / 4);
    expect(r.accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it('trainStep names the kernel when tfjs has no gradient for it', async () => {
    const gradient = tf.getGradient('Relu');
    tf.unregisterGradient('Relu');
    const model = mlp();
    const optimizer = tf.train.sgd(0.1);
    const { x, labels } = bars(4, 3);
    try {
      await expect(trainStep(model, optimizer, () => crossEntropy(model.call(x), labels))).rejects.toThrow(
        "the loss cannot be differentiated: tfjs has no gradient for its kernel 'Relu'",
      );
    } finally {
      tf.registerGradient(gradient);
      tf.dispose([x, labels]);
      model.dispose();
      optimizer.dispose();
    }
  });
});
