import * as tf from '@tensorflow/tfjs-core';
import { type DetectionSample, imagesToTensor } from '../data/shapes.js';
import type { Detections } from '../eval/map.js';
import { type EpochOptions, trainEpochs } from '../train.js';
import type { RgbImage } from '../selective-search/image.js';
import { type DecodeOptions, decodeYolo } from './decode.js';
import { type YoloGeometry, type YoloLossOptions, type YoloTargetOptions, yoloLoss, yoloTargets } from './loss.js';
import type { Yolo } from './yolo.js';

/** The grid, predictors, classes and input size of a model, for the loss and the decoder. */
export function yoloGeometry(model: Yolo): YoloGeometry {
  return { gridSize: model.gridSize, boxesPerCell: model.boxesPerCell, numClasses: model.numClasses, imageSize: [model.inputSize, model.inputSize] };
}

export interface YoloTrainOptions extends YoloLossOptions, YoloTargetOptions, EpochOptions {}

/**
 * Trains with Adam on the YOLO loss (batches of 16 by default); the responsible predictors are chosen on
 * each step's own outputs (read back inside the step), as in the paper. samples: images of the model's
 * input size. Resolves to the mean loss of each epoch.
 */
export function trainYolo(model: Yolo, samples: readonly DetectionSample[], options: YoloTrainOptions = {}): Promise<number[]> {
  const g = yoloGeometry(model);
  return trainEpochs(model, samples, { ...options, batchSize: options.batchSize ?? 16 }, (x, batch) => {
    const output = model.call(x) as tf.Tensor4D;
    const targets = yoloTargets(output.dataSync(), batch.map((i) => samples[i]!), g, options);
    return yoloLoss(output, targets, g, options);
  });
}

/** images (the model's input size) -> Detections per image, in eval mode. An empty list gives []. */
export async function detectYolo(model: Yolo, images: readonly RgbImage[], options: DecodeOptions = {}): Promise<Detections[]> {
  if (images.length === 0) return [];
  model.eval();
  const output = tf.tidy(() => model.call(imagesToTensor(images)) as tf.Tensor4D);
  try {
    return await decodeYolo(output, yoloGeometry(model), options);
  } finally {
    output.dispose();
  }
}
