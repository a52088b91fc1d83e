import * as tf from '@tensorflow/tfjs-core';
import { type Module, trainStep } from '@convkit/core';
import { type DetectionSample, imagesToTensor } from '../data/shapes.js';
import { seededRandom, shuffledIndices } from '../data/random.js';
import type { GroundTruth } from '../eval/map.js';

export interface DetectorTrainOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Seed of the batch order. */
  seed?: number;
  onEpoch?: (epoch: number, meanLoss: number) => void;
}

/** A model whose whole training loss for a batch is one synchronous call. */
export interface TrainableDetector extends Module<any, any> {
  /** images [B, H, W, 3] in [0, 1]; `indices`: the batch's positions in the training set. */
  loss(images: tf.Tensor4D, truths: readonly GroundTruth[], indices: readonly number[]): tf.Scalar;
}

/** Adam over seeded mini-batches of `samples`; resolves to the mean loss of each epoch. */
export async function trainDetector(model: TrainableDetector, samples: readonly DetectionSample[], options: DetectorTrainOptions = {}): Promise<number[]> {
  const batchSize = options.batchSize ?? 8;
  const optimizer = tf.train.adam(options.learningRate ?? 1e-3);
  const random = seededRandom(options.seed ?? 0);
  const images = imagesToTensor(samples.map((s) => s.image));
  const losses: number[] = [];
  try {
    for (let epoch = 0; epoch < (options.epochs ?? 10); epoch++) {
      model.train();
      const order = shuffledIndices(samples.length, random);
      let sum = 0, steps = 0;
      for (let start = 0; start + batchSize <= order.length; start += batchSize) {
        const batch = order.slice(start, start + batchSize);
        const x = tf.tidy(() => tf.gather(images, tf.tensor1d(batch, 'int32')));
        sum += await trainStep(model, optimizer, () => model.loss(x, batch.map((i) => samples[i]!), batch));
        steps++;
        x.dispose();
      }
      losses.push(sum / steps);
      options.onEpoch?.(epoch, sum / steps);
    }
  } finally {
    images.dispose();
    optimizer.dispose();
  }
  return losses;
}
