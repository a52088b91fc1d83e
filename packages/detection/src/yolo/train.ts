import type { DetectionSample } from '../datasets/shapes.js';
import { totalLoss } from '../detector.js';
import type { Detections } from '../metrics.js';
import { type EpochOptions, trainEpochs } from '../train.js';
import type { RgbImage } from '../selective-search/image.js';
import type { DecodeOptions } from './decode.js';
import type { YoloGeometry, YoloLossOptions, YoloTargetOptions } from './loss.js';
import type { Yolo } from './yolo.js';

/** The grid, predictors, classes and input size of a model, for the loss and the decoder (`model.geometry`). */
export function yoloGeometry(model: Yolo): YoloGeometry {
  return model.geometry;
}

export interface YoloTrainOptions extends YoloLossOptions, YoloTargetOptions, EpochOptions {}

/**
 * Trains with Adam on the YOLO loss (`Yolo.loss`; batches of 16 by default). samples: images of the
 * model's input size. Resolves to the mean loss of each epoch.
 */
export function trainYolo(model: Yolo, samples: readonly DetectionSample[], options: YoloTrainOptions = {}): Promise<number[]> {
  return trainEpochs(model, samples, { ...options, batchSize: options.batchSize ?? 16 }, (x, batch) => totalLoss(model.loss(x, batch.map((i) => samples[i]!), options)));
}

/** `model.detect(images, options)`: Detections per image, in eval mode. An empty list gives []. */
export function detectYolo(model: Yolo, images: readonly RgbImage[], options: DecodeOptions = {}): Promise<Detections[]> {
  return model.detect(images, options);
}
