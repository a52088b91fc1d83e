import type { DetectionSample } from './datasets/shapes.js';
import type { Detector } from './detector.js';
import { regionProposals } from './rcnn/fast-rcnn.js';
import { trainDetector } from './rcnn/train.js';
import type { EpochOptions } from './train.js';
import { trainYolo } from './yolo/train.js';
import type { Yolo } from './yolo/yolo.js';

/**
 * How a small detector trains on the synthetic shapes (`shapesSplits`): the one recipe that `convkit
 * train`, tools/weights/make-demo-weights.mjs (the bundled weights) and the tests share.
 */
export interface ShapesRecipe {
  /** The registered model it trains. */
  model: string;
  /** Seed of `deterministicStateDict` for the initial weights. */
  seed: number;
  /** Epochs of the bundled weights. */
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** One line for weights metadata and docs. */
  description: string;
  /** Where the model learns from more than the samples: what `prepare` computes, for a progress line. */
  preparation?: string;
  /** The training samples with what the model learns from besides (Fast R-CNN: their selective-search proposals). */
  prepare?(samples: readonly DetectionSample[], onImage?: (done: number, total: number) => void): DetectionSample[];
  /** Trains `epochs` epochs (Adam, or `options.optimizer`); resolves to the mean loss of each. */
  train(model: Detector, samples: readonly DetectionSample[], options: EpochOptions): Promise<number[]>;
}

/** The shapes recipes by model name. yolov1 (272M parameters, 448x448) and rcnn_small (trained by its own `fit`) have none. */
export const SHAPES_RECIPES: ReadonlyMap<string, ShapesRecipe> = new Map([
  {
    model: 'fasterrcnn_small', seed: 3, epochs: 5, batchSize: 4, learningRate: 2e-3, description: 'trainDetector, adam 2e-3, batch 4',
    train: (model: Detector, samples: readonly DetectionSample[], options: EpochOptions) => trainDetector(model, samples, { batchSize: 4, learningRate: 2e-3, ...options }),
  },
  {
    model: 'fastrcnn_small', seed: 3, epochs: 2, batchSize: 4, learningRate: 2e-3, description: 'selective-search proposals, trainDetector, adam 2e-3, batch 4',
    preparation: 'selective search',
    prepare: (samples: readonly DetectionSample[], onImage?: (done: number, total: number) => void) => samples.map((s, i) => {
      onImage?.(i + 1, samples.length);
      return { ...s, proposals: regionProposals(s.image) };
    }),
    train: (model: Detector, samples: readonly DetectionSample[], options: EpochOptions) => trainDetector(model, samples, { batchSize: 4, learningRate: 2e-3, ...options }),
  },
  {
    model: 'yolo_tiny', seed: 3, epochs: 12, batchSize: 16, learningRate: 3e-3, description: "trainYolo, adam 3e-3, batch 16, objectness 'one'",
    train: (model: Detector, samples: readonly DetectionSample[], options: EpochOptions) =>
      trainYolo(model as Yolo, samples, { batchSize: 16, learningRate: 3e-3, ...options, objectness: 'one' }),
  },
].map((r) => [r.model, r]));

/**
 * The paper's VGG-16 Faster R-CNN made small enough to train on the shapes in minutes on a CPU: 64x64
 * inputs (a 4x4 conv5_3 map at stride 16), 9 anchors of 16, 32 and 64 pixels x 3 ratios (the objects are
 * 12 to 26 pixels), fewer proposals and sampled anchors and RoIs; everything else as `fasterrcnnVgg16`.
 * tools/detection/fasterrcnn-vgg16-shapes.mjs trains it and prints its losses and mAP (docs/detection.md).
 */
export const FASTERRCNN_VGG16_SHAPES = {
  build: {
    numClasses: 3, inputSize: 64, anchorSizes: [16, 32, 64], rpnBatchSize: 64, roiBatchSize: 32,
    trainProposals: { preNmsTopN: 600, postNmsTopN: 128 }, testProposals: { preNmsTopN: 300, postNmsTopN: 64 },
  },
  seed: 3,
  batchSize: 4,
  learningRate: 1e-4,
} as const;
