import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Dropout, Flatten, LeakyReLU, Linear, MaxPool2d, Module, Sequential, expectRank, registerModel } from '@convkit/core';
import { VOC_CATEGORIES } from '../categories.js';
import { SHAPE_CLASSES } from '../datasets/shapes.js';
import { type DetectionLosses, type DetectionTarget, type Detector, type DetectorImages, detectAtSize, OBJECT_DETECTION_PREPROCESSING } from '../detector.js';
import type { Detections } from '../metrics.js';
import { type DecodeOptions, decodeYolo } from './decode.js';
import { type YoloGeometry, type YoloLossOptions, type YoloTargetOptions, yoloLoss, yoloTargets } from './loss.js';

/** A conv layer of a YOLO table: [kernel, out channels, stride], or 'M' for a 2x2 max pool of stride 2. */
export type YoloLayer = readonly [kernel: number, out: number, stride?: number] | 'M';

/**
 * YOLO v1's 24 convolutional layers (Redmon et al. 2015, figure 3): the GoogLeNet-like stack with 1x1
 * reductions in front of 3x3 convolutions, four max pools and a final stride-2 convolution, 448 -> 7.
 */
export const YOLOV1_LAYERS: readonly YoloLayer[] = [
  [7, 64, 2], 'M',
  [3, 192], 'M',
  [1, 128], [3, 256], [1, 256], [3, 512], 'M',
  ...Array.from({ length: 4 }, () => [[1, 256], [3, 512]] as const).flat(), [1, 512], [3, 1024], 'M',
  ...Array.from({ length: 2 }, () => [[1, 512], [3, 1024]] as const).flat(), [3, 1024], [3, 1024, 2],
  [3, 1024], [3, 1024],
];

/** Convolutions ('same' padding), each followed by leaky ReLU and, where asked, batch norm before it. */
export function makeYoloLayers(table: readonly YoloLayer[], inChannels = 3, batchNorm = false): { layers: Sequential; outChannels: number } {
  const layers: Module[] = [];
  let channels = inChannels;
  for (const entry of table) {
    if (entry === 'M') {
      layers.push(new MaxPool2d(2, { stride: 2 }));
      continue;
    }
    const [kernel, out, stride = 1] = entry;
    layers.push(new Conv2d(channels, out, kernel, { stride, padding: Math.floor(kernel / 2), bias: !batchNorm }));
    if (batchNorm) layers.push(new BatchNorm2d(out));
    layers.push(new LeakyReLU(0.1));
    channels = out;
  }
  return { layers: new Sequential(...layers), outChannels: channels };
}

export interface YoloOptions {
  /** C, the classes (default 20, PASCAL VOC). */
  numClasses?: number;
  /** B, the boxes each cell predicts (default 2). */
  boxesPerCell?: number;
}

/**
 * A YOLO v1 detector: image [N, H, W, 3] -> [N, S, S, B * 5 + C], per grid cell B boxes of
 * (x, y, sqrt w, sqrt h, confidence) then C class probabilities. x and y are the box centre's offset in
 * the cell (0 .. 1), sqrt w and sqrt h the square roots of the box size as a fraction of the image
 * (darknet predicts the roots, which is what the paper's loss on sqrt w means), confidence
 * Pr(object) * IoU; outputs are linear, as in the paper. Decode with `decodeYolo`.
 */
export class Yolo extends Module<tf.Tensor, tf.Tensor> implements Detector {
  readonly numClasses: number;
  readonly boxesPerCell: number;

  constructor(
    readonly features: Module,
    readonly head: Module,
    /** S: the output grid is S x S at `inputSize`. */
    readonly gridSize: number,
    /** The square input side the model is built for. */
    readonly inputSize: number,
    options: YoloOptions = {},
  ) {
    super();
    this.numClasses = options.numClasses ?? 20;
    this.boxesPerCell = options.boxesPerCell ?? 2;
    this.registerModule('features', features);
    this.registerModule('head', head);
  }

  /** Channels per cell: B * 5 + C (30 for the paper). */
  get cellChannels(): number {
    return this.boxesPerCell * 5 + this.numClasses;
  }

  /** The grid, predictors, classes and input size, for the loss and the decoder. */
  get geometry(): YoloGeometry {
    return { gridSize: this.gridSize, boxesPerCell: this.boxesPerCell, numClasses: this.numClasses, imageSize: [this.inputSize, this.inputSize] };
  }

  forward(x: tf.Tensor): tf.Tensor {
    expectRank(x, 4, '[N, H, W, 3]');
    return tf.tidy(() => {
      const y = this.head.call(this.features.call(x));
      return tf.reshape(y, [x.shape[0]!, this.gridSize, this.gridSize, this.cellChannels]);
    });
  }

  /**
   * Detections per image in its own pixels (eval mode): each image resized to the model's square input,
   * decoded as the paper's test time (`decodeYolo`), and the boxes mapped back.
   */
  detect(images: DetectorImages, options: DecodeOptions = {}): Promise<Detections[]> {
    return detectAtSize(images, [this.inputSize, this.inputSize], async (x) => {
      this.eval();
      const output = this.call(x) as tf.Tensor4D;
      try {
        return await decodeYolo(output, this.geometry, options);
      } finally {
        output.dispose();
      }
    });
  }

  /**
   * The sum-squared loss of a batch as `yolo`; the responsible predictors are chosen on the batch's own
   * outputs (read back inside the step), as in the paper. images [N, S, S, 3] in [0, 1] at the input size.
   */
  loss(images: tf.Tensor4D, targets: readonly DetectionTarget[], options: YoloLossOptions & YoloTargetOptions = {}): DetectionLosses {
    const [, h, w] = images.shape;
    if (h !== this.inputSize || w !== this.inputSize) {
      throw new Error(`Yolo.loss: images are ${h}x${w}; this model trains at ${this.inputSize}x${this.inputSize} (resize them first)`);
    }
    return tf.tidy(() => {
      const output = this.call(images) as tf.Tensor4D;
      return { yolo: yoloLoss(output, yoloTargets(output.dataSync(), targets, this.geometry, options), this.geometry, options) };
    });
  }
}

/**
 * The paper's network: 24 convolutions, then 7 x 7 x 1024 -> 4096 (leaky ReLU, dropout 0.5) ->
 * 7 x 7 x 30, at 448 x 448 x 3. Parameters: 271,703,550 with C = 20, B = 2 (see `yolov1ParamCount`).
 */
export function yolov1(options: YoloOptions = {}): Yolo {
  const numClasses = options.numClasses ?? 20;
  const boxes = options.boxesPerCell ?? 2;
  const grid = 7;
  const { layers, outChannels } = makeYoloLayers(YOLOV1_LAYERS);
  const head = new Sequential(
    new Flatten(), new Linear(grid * grid * outChannels, 4096), new LeakyReLU(0.1), new Dropout(0.5),
    new Linear(4096, grid * grid * (boxes * 5 + numClasses)),
  );
  return new Yolo(layers, head, grid, 448, { numClasses, boxesPerCell: boxes });
}

/** The parameter count of `yolov1()` from its layer table, without building 1 GB of weights. */
export function yolov1ParamCount(numClasses = 20, boxesPerCell = 2): number {
  let channels = 3;
  let params = 0;
  for (const entry of YOLOV1_LAYERS) {
    if (entry === 'M') continue;
    const [kernel, out] = entry;
    params += kernel * kernel * channels * out + out;
    channels = out;
  }
  const hidden = 4096;
  const outputs = 7 * 7 * (boxesPerCell * 5 + numClasses);
  return params + (7 * 7 * channels + 1) * hidden + (hidden + 1) * outputs;
}

/**
 * The small variant's table: five 3x3 convolutions with batch norm, three of stride 2: 64 -> 8. Strided
 * convolutions replace the max pools because tfjs's MaxPoolGrad is the slowest kernel of a training step.
 */
export const YOLO_TINY_LAYERS: readonly YoloLayer[] = [[3, 16, 2], [3, 32, 2], [3, 32], [3, 64, 2], [3, 64]];

/**
 * A small YOLO for the synthetic shapes set: 64 x 64 x 3 -> 8 x 8 x (B * 5 + C), the paper's output and
 * loss on a fully convolutional body (batch norm, as YOLO v2 added, and a 1x1 convolution in place of
 * the two fully-connected layers), so that it trains in seconds on a CPU.
 */
export function yoloTiny(options: YoloOptions = {}): Yolo {
  const numClasses = options.numClasses ?? 3;
  const boxes = options.boxesPerCell ?? 2;
  const { layers, outChannels } = makeYoloLayers(YOLO_TINY_LAYERS, 3, true);
  return new Yolo(layers, new Conv2d(outChannels, boxes * 5 + numClasses, 1), 8, 64, { numClasses, boxesPerCell: boxes });
}

registerModel({
  name: 'yolov1',
  task: 'detection',
  family: 'yolo',
  description: 'YOLO v1 (Redmon et al. 2015): 24 conv + 2 FC layers, 7x7 grid, B=2, C=20, output 7x7x30',
  inputShape: [448, 448, 3],
  minInputSize: 448,
  numClasses: 20,
  preprocessing: OBJECT_DETECTION_PREPROCESSING,
  categories: VOC_CATEGORIES,
  reference: { params: yolov1ParamCount(), source: 'arXiv 1506.02640, figure 3; counted from the layer table' },
  create: (options) => yolov1({ numClasses: options?.numClasses }),
});

registerModel({
  name: 'yolo_tiny',
  task: 'detection',
  family: 'yolo',
  description: 'small YOLO v1 variant for 64x64 synthetic shapes: 5 conv+BN layers, 8x8 grid, B=2, C=3',
  inputShape: [64, 64, 3],
  minInputSize: 64,
  numClasses: 3,
  preprocessing: OBJECT_DETECTION_PREPROCESSING,
  categories: SHAPE_CLASSES,
  create: (options) => yoloTiny({ numClasses: options?.numClasses }),
});
