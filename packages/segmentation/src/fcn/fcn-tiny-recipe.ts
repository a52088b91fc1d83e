import * as tf from '@tensorflow/tfjs-core';
import { type Module, deterministicStateDict, trainStep } from '@convkit/core';
import type { ShapesDataSet } from '../datasets/shapes.js';
import { totalSegmentationLoss } from '../segmenter.js';
import type { FCNTiny } from './fcn-tiny.js';

/** The recipe of the bundled fcn_tiny-shapes weights (tools/weights/make-demo-weights.mjs). */
export const FCN_TINY_SHAPES_RECIPE = {
  data: 'makeShapes({ count: 2048, size: 32, seed: 1 })',
  trainCount: 2048,
  seed: 0,
  steps: 1200,
  batchSize: 8,
  learningRate: 5e-3,
  /** Adam at `learningRate`, then `decayTo` from this step on: the drop settles the noisy end of the curve. */
  decayAt: 900,
  decayTo: 1e-3,
} as const;

/**
 * Reproducible initial weights: `deterministicStateDict(model, seed)` for every layer but the upsampling
 * ones, which keep their bilinear initialisation (FCN's own start, and the one that trains).
 */
export function initialiseFcnTiny(model: Module<any, any>, seed: number): void {
  const weights = deterministicStateDict(model, seed);
  for (const key of [...weights.keys()]) if (key.startsWith('upscore')) weights.delete(key);
  model.loadStateDict(weights, { strict: false });
}

export interface FcnTinyTrainOptions {
  steps?: number;
  batchSize?: number;
  learningRate?: number;
  decayAt?: number;
  decayTo?: number;
  /** After every step: its index and loss. */
  onStep?: (step: number, loss: number) => void | Promise<void>;
}

/**
 * Adam over consecutive batches of `data` (wrapping around), on `model.loss` (per-pixel cross entropy of
 * x - 0.5), the learning rate dropped once at `decayAt`. Defaults: FCN_TINY_SHAPES_RECIPE. Resolves to the
 * loss of every step.
 */
export async function trainFcnTiny(model: FCNTiny, data: ShapesDataSet, options: FcnTinyTrainOptions = {}): Promise<number[]> {
  const r = { ...FCN_TINY_SHAPES_RECIPE, ...options };
  const { size } = data;
  const pixels = size * size;
  if (r.batchSize > data.count) throw new Error(`trainFcnTiny: a batch of ${r.batchSize} needs at least that many images; the data has ${data.count}`);
  const optimizer = tf.train.adam(r.learningRate);
  const losses: number[] = [];
  model.train();
  try {
    for (let step = 0; step < r.steps; step++) {
      if (step === r.decayAt) (optimizer as unknown as { learningRate: number }).learningRate = r.decayTo;
      const first = (step * r.batchSize) % (data.count - (data.count % r.batchSize));
      const xs = tf.tensor4d(data.images.subarray(first * pixels * 3, (first + r.batchSize) * pixels * 3), [r.batchSize, size, size, 3]);
      const ys = tf.tensor3d(data.masks.subarray(first * pixels, (first + r.batchSize) * pixels), [r.batchSize, size, size], 'int32');
      const loss = await trainStep(model, optimizer, () => totalSegmentationLoss(model.loss(xs, ys)));
      tf.dispose([xs, ys]);
      losses.push(loss);
      await options.onStep?.(step, loss);
    }
  } finally {
    optimizer.dispose();
  }
  return losses;
}
