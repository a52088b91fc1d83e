import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@convkit/core';
import type { DetectionSample } from '../data/shapes.js';
import type { GroundTruth } from '../eval/map.js';
import { type EpochOptions, trainEpochs } from '../train.js';

export type DetectorTrainOptions = EpochOptions;

/** A model whose whole training loss for a batch is one synchronous call. */
export interface TrainableDetector extends Module<any, any> {
  /** images [B, H, W, 3] in [0, 1]; `indices`: the batch's positions in the training set. */
  loss(images: tf.Tensor4D, truths: readonly GroundTruth[], indices: readonly number[]): tf.Scalar;
}

/** Adam over seeded mini-batches of `samples` (8 by default); resolves to the mean loss of each epoch. */
export function trainDetector(model: TrainableDetector, samples: readonly DetectionSample[], options: DetectorTrainOptions = {}): Promise<number[]> {
  return trainEpochs(model, samples, { ...options, batchSize: options.batchSize ?? 8 }, (x, batch) => model.loss(x, batch.map((i) => samples[i]!), batch));
}
