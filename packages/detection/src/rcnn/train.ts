import type { DetectionSample } from '../datasets/shapes.js';
import { type Detector, totalLoss } from '../detector.js';
import { type EpochOptions, trainEpochs } from '../train.js';

export type DetectorTrainOptions = EpochOptions;

/**
 * Adam over seeded mini-batches of `samples` (8 by default) on the sum of the model's named losses;
 * resolves to the mean loss of each epoch. Samples may carry their region proposals (`proposals`).
 */
export function trainDetector(model: Detector, samples: readonly DetectionSample[], options: DetectorTrainOptions = {}): Promise<number[]> {
  return trainEpochs(model, samples, { ...options, batchSize: options.batchSize ?? 8 }, (x, batch) => totalLoss(model.loss(x, batch.map((i) => samples[i]!))));
}
