import * as tf from '@tensorflow/tfjs-core';
import { type Module, crossEntropy, deterministicStateDict, seededRandom, shuffledIndices, trainStep } from '@convkit/core';
import type { Digits } from '../datasets/digits.js';
import { LeNet5 } from './index.js';

/**
 * The recipe that trained assets/weights/lenet5-digits.safetensors (tools/weights/make-demo-weights.mjs):
 * scikit-learn's digits upscaled to 32x32, seeded He-uniform weights, Adam, cross-entropy, seeded batches.
 * `convkit train --model lenet5 --data digits` runs the same steps with its own seed and epochs.
 */
export const LENET5_DIGITS_RECIPE = { epochs: 12, batchSize: 32, learningRate: 2e-3, seed: 11 } as const;

/** The batch order of the bundled weights' epoch `epoch` (0-based). */
export const lenet5DigitsOrder = (count: number, epoch: number) => shuffledIndices(count, seededRandom(100 + epoch));

/**
 * Grey images in [0, 1] -> a model's input: resized bilinearly to height x width with tfjs' default
 * sampling (which the bundled weights were trained with), and repeated over `channels`.
 * grey: [N, h, w, 1] -> [N, height, width, channels].
 */
export function greyToInput(grey: tf.Tensor4D, height: number, width: number, channels: number): tf.Tensor4D {
  return tf.tidy(() => {
    const resized = grey.shape[1] === height && grey.shape[2] === width ? grey : tf.image.resizeBilinear(grey, [height, width]);
    return (channels === 1 ? tf.clone(resized) : tf.tile(resized, [1, 1, 1, channels])) as tf.Tensor4D;
  });
}

/** A digits split as a model's input: images [count, height, width, channels], labels [count] int32. */
export function digitsTensors(digits: Digits, [height, width, channels]: readonly [number, number, number]): { images: tf.Tensor4D; labels: tf.Tensor1D } {
  return {
    images: tf.tidy(() => greyToInput(tf.tensor4d(digits.images, [digits.count, 8, 8, 1]), height, width, channels)),
    labels: tf.tensor1d(digits.labels, 'int32'),
  };
}

/** Reproducible initial weights, the same on every machine for the same seed. */
export function initialiseClassifier(model: Module<any, any>, seed: number): void {
  model.loadStateDict(deterministicStateDict(model, seed));
}

/**
 * One epoch of cross-entropy training: mini-batches of `batchSize` taken in `order` (a partial last
 * batch is dropped), images [N, H, W, C], labels [N] int32. `onStep(done, total, meanLoss)` runs after
 * each step and is awaited, so that a caller can yield to its event loop. Returns every step's loss.
 */
export async function classifierEpoch(
  model: Module<any, any>, images: tf.Tensor4D, labels: tf.Tensor1D, optimizer: tf.Optimizer, order: readonly number[], batchSize: number,
  onStep?: (done: number, total: number, meanLoss: number) => void | Promise<void>,
): Promise<number[]> {
  model.train();
  const steps = Math.floor(order.length / batchSize);
  const losses: number[] = [];
  let sum = 0;
  for (let step = 0; step < steps; step++) {
    const index = tf.tensor1d(order.slice(step * batchSize, (step + 1) * batchSize) as number[], 'int32');
    const x = tf.gather(images, index);
    const y = tf.gather(labels, index);
    const loss = await trainStep(model, optimizer, () => crossEntropy(model.call(x) as tf.Tensor2D, y as tf.Tensor1D));
    tf.dispose([index, x, y]);
    losses.push(loss);
    sum += loss;
    await onStep?.(step + 1, steps, sum / losses.length);
  }
  return losses;
}

/** Top-1 accuracy in eval mode: images [N, H, W, C], labels [N]. */
export async function classifierAccuracy(model: Module<any, any>, images: tf.Tensor4D, labels: ArrayLike<number>): Promise<number> {
  model.eval();
  const predicted = tf.tidy(() => tf.argMax(model.call(images) as tf.Tensor2D, 1));
  const values = await predicted.data();
  predicted.dispose();
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (values[i] === labels[i]) correct++;
  return correct / labels.length;
}

/**
 * Trains a fresh LeNet-5 on the digits with `LENET5_DIGITS_RECIPE` (or the settings given): the bundled
 * weights, bit for bit, on the backend they were made on (wasm). Returns the model, its test accuracy and
 * the mean loss of every epoch.
 */
export async function trainLenet5Digits(
  data: { train: Digits; test: Digits }, settings: Partial<typeof LENET5_DIGITS_RECIPE> = {},
): Promise<{ model: LeNet5; testAccuracy: number; losses: number[]; testImages: tf.Tensor4D }> {
  const { epochs, batchSize, learningRate, seed } = { ...LENET5_DIGITS_RECIPE, ...settings };
  const train = digitsTensors(data.train, [32, 32, 1]);
  const test = digitsTensors(data.test, [32, 32, 1]);
  const model = new LeNet5();
  initialiseClassifier(model, seed);
  const optimizer = tf.train.adam(learningRate);
  const losses: number[] = [];
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const steps = await classifierEpoch(model, train.images, train.labels, optimizer, lenet5DigitsOrder(data.train.count, epoch), batchSize);
      losses.push(steps.reduce((a, b) => a + b, 0) / steps.length);
    }
    return { model, testAccuracy: await classifierAccuracy(model, test.images, data.test.labels), losses, testImages: test.images };
  } finally {
    optimizer.dispose();
    tf.dispose([train.images, train.labels, test.labels]);
  }
}
