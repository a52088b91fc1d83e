import * as tf from '@tensorflow/tfjs-core';
import { type Module, seededRandom, shuffledIndices, trainStep } from '@convkit/core';
import { type DetectionSample, imagesToTensor } from './datasets/shapes.js';

/** The loop settings every detector's trainer shares. */
export interface EpochOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Seed of the batch order. */
  seed?: number;
  onEpoch?: (epoch: number, meanLoss: number) => void;
  /** An optimizer to go on with (its state carries across calls, and the caller disposes it); default a new Adam. */
  optimizer?: tf.Optimizer;
  /** After every optimiser step: its index within the epoch, the epoch's step count and the step's loss. */
  onStep?: (step: number, steps: number, loss: number) => void;
}

/**
 * Adam (or `options.optimizer`) over seeded mini-batches of `samples`; a last partial batch is dropped.
 * `batchLoss` turns one batch, images [B, H, W, 3] in [0, 1] and the batch's positions in `samples`,
 * into the loss to minimise. Resolves to the mean loss of each epoch.
 */
export async function trainEpochs(
  model: Module<any, any>,
  samples: readonly DetectionSample[],
  options: EpochOptions & { batchSize: number },
  batchLoss: (images: tf.Tensor4D, batch: readonly number[]) => tf.Scalar,
): Promise<number[]> {
  const optimizer = options.optimizer ?? tf.train.adam(options.learningRate ?? 1e-3);
  const random = seededRandom(options.seed ?? 0);
  const images = imagesToTensor(samples.map((s) => s.image));
  const losses: number[] = [];
  try {
    for (let epoch = 0; epoch < (options.epochs ?? 10); epoch++) {
      model.train();
      const order = shuffledIndices(samples.length, random);
      const perEpoch = Math.floor(order.length / options.batchSize);
      let sum = 0, steps = 0;
      for (let start = 0; start + options.batchSize <= order.length; start += options.batchSize) {
        const batch = order.slice(start, start + options.batchSize);
        const x = tf.tidy(() => tf.gather(images, tf.tensor1d(batch, 'int32')));
        const loss = await trainStep(model, optimizer, () => batchLoss(x, batch));
        x.dispose();
        sum += loss;
        options.onStep?.(steps, perEpoch, loss);
        steps++;
      }
      losses.push(sum / steps);
      options.onEpoch?.(epoch, sum / steps);
    }
  } finally {
    images.dispose();
    if (!options.optimizer) optimizer.dispose();
  }
  return losses;
}
