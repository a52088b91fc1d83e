import * as tf from '@tensorflow/tfjs-core';
import { trainStep } from '@convkit/core';
import { type DetectionSample, imagesToTensor } from '../data/shapes.js';
import { seededRandom, shuffledIndices } from '../data/random.js';
import type { Detections } from '../eval/map.js';
import type { RgbImage } from '../selective-search/image.js';
import { type DecodeOptions, decodeYolo } from './decode.js';
import { type YoloGeometry, type YoloLossOptions, type YoloTargetOptions, yoloLoss, yoloTargets } from './loss.js';
import type { Yolo } from './yolo.js';

/** The grid, predictors, classes and input size of a model, for the loss and the decoder. */
export function yoloGeometry(model: Yolo): YoloGeometry {
  return { gridSize: model.gridSize, boxesPerCell: model.boxesPerCell, numClasses: model.numClasses, imageSize: [model.inputSize, model.inputSize] };
}

export interface YoloTrainOptions extends YoloLossOptions, YoloTargetOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Seed of the batch order. */
  seed?: number;
  onEpoch?: (epoch: number, meanLoss: number) => void;
}

/**
 * Trains with Adam on the YOLO loss; the responsible predictors are chosen on each step's own outputs
 * (read back inside the step), as in the paper. samples: images of the model's input size.
 * Resolves to the mean loss of each epoch.
 */
export async function trainYolo(model: Yolo, samples: readonly DetectionSample[], options: YoloTrainOptions = {}): Promise<number[]> {
  const g = yoloGeometry(model);
  const batchSize = options.batchSize ?? 16;
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
        sum += await trainStep(model, optimizer, () => {
          const output = model.call(x) as tf.Tensor4D;
          const targets = yoloTargets(output.dataSync(), batch.map((i) => samples[i]!), g, options);
          return yoloLoss(output, targets, g, options);
        });
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
