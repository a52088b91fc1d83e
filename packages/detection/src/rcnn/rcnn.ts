import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, crossEntropy, Flatten, Linear, Module, registerModel, ReLU, seededRandom, Sequential, shuffledIndices } from '@convkit/core';
import { type DetectionSample, SHAPE_CLASSES } from '../datasets/shapes.js';
import { type DetectionLosses, type DetectionTarget, type Detector, type DetectorImages, batchImage, imageToTensor, OBJECT_DETECTION_PREPROCESSING } from '../detector.js';
import type { Detections } from '../metrics.js';
import { BoxCoder } from '../ops/box-coder.js';
import { batchedNmsHost } from '../ops/nms.js';
import { type RegionProposalOptions, regionProposals } from './fast-rcnn.js';
import { cleanTruth, clipAndFilter, iouMatrix } from './host-boxes.js';

export interface RCNNOptions {
  numClasses?: number;
  /** Side of the warped crops (default 24; the paper warps to 227). */
  cropSize?: number;
  proposals?: RegionProposalOptions;
}

/**
 * R-CNN (Girshick et al. 2014): selective search proposals, each warped to a fixed square
 * (tf.image.cropAndResize, bilinear, no context padding) and passed through a CNN on its own; per-class
 * linear classifiers score the CNN features and per-class linear regressors refine the boxes.
 * The paper's classifiers are SVMs; here each is a linear layer trained with the hinge loss (a linear
 * SVM without the hard-negative mining cache), and the regressors are trained with squared error and
 * weight decay (ridge regression), on the same features.
 * forward: crops [K, s, s, 3] -> features [K, 128].
 */
export class RCNN extends Module<tf.Tensor, tf.Tensor> implements Detector {
  readonly cnn: Sequential;
  /** The fine-tuning softmax over C + 1 classes, used only to train the CNN. */
  readonly softmax: Linear;
  /** Per-class linear SVMs: [128] -> [C] margins. */
  readonly svm: Linear;
  /** Per-class box regressors: [128] -> [4 C]. */
  readonly regressor: Linear;
  readonly numClasses: number;
  readonly cropSize: number;
  readonly proposalOptions: RegionProposalOptions;
  readonly coder = new BoxCoder([1, 1, 1, 1]);
  /** Crop sampling in `loss`. */
  readonly #random = seededRandom(0);

  constructor(options: RCNNOptions = {}) {
    super();
    this.numClasses = options.numClasses ?? 3;
    this.cropSize = options.cropSize ?? 24;
    this.proposalOptions = options.proposals ?? {};
    const final = Math.ceil(this.cropSize / 8);
    this.cnn = this.registerModule('cnn', new Sequential(
      new Conv2d(3, 16, 3, { stride: 2, padding: 1, bias: false }), new BatchNorm2d(16), new ReLU(),
      new Conv2d(16, 32, 3, { stride: 2, padding: 1, bias: false }), new BatchNorm2d(32), new ReLU(),
      new Conv2d(32, 64, 3, { stride: 2, padding: 1, bias: false }), new BatchNorm2d(64), new ReLU(),
      new Flatten(), new Linear(64 * final * final, 128), new ReLU(),
    ));
    this.softmax = this.registerModule('softmax', new Linear(128, this.numClasses + 1));
    this.svm = this.registerModule('svm', new Linear(128, this.numClasses));
    this.regressor = this.registerModule('regressor', new Linear(128, 4 * this.numClasses));
  }

  forward(crops: tf.Tensor): tf.Tensor {
    return this.cnn.call(crops);
  }

  /** image: [1, H, W, 3] in [0, 1], boxes [K, 4] pixels -> warped crops [K, s, s, 3]. */
  crops(image: tf.Tensor4D, boxes: Float32Array): tf.Tensor4D {
    const [, height, width] = image.shape;
    const k = boxes.length / 4;
    const normalised = new Float32Array(4 * k);
    // cropAndResize samples (y1, x1) .. (y2, x2) as pixel centres over [0, size - 1]; our boxes are pixel edges.
    for (let i = 0; i < k; i++) {
      normalised.set([
        boxes[4 * i + 1]! / height, boxes[4 * i]! / width, (boxes[4 * i + 3]! - 1) / height, (boxes[4 * i + 2]! - 1) / width,
      ].map((v, j) => v * (j % 2 === 0 ? height / Math.max(1, height - 1) : width / Math.max(1, width - 1))), 4 * i);
    }
    return tf.image.cropAndResize(image, tf.tensor2d(normalised, [k, 4]), tf.zeros([k], 'int32'), [this.cropSize, this.cropSize]);
  }

  /** Proposals and their best-overlapping ground truth per training image, with crops sampled from them. */
  #trainingCrops(samples: readonly (DetectionSample & { proposals: Float32Array })[], perImage: number, random: () => number) {
    const crops: tf.Tensor4D[] = [];
    const labels: number[] = [], overlaps: number[] = [], regression: number[] = [], boxLabels: number[] = [];
    for (const sample of samples) {
      const truth = cleanTruth(sample.boxes, sample.labels, [sample.image.height, sample.image.width], this.numClasses);
      const candidates = new Float32Array(sample.proposals.length + truth.boxes.length);
      candidates.set(sample.proposals);
      candidates.set(truth.boxes, sample.proposals.length);
      const n = candidates.length / 4, m = truth.labels.length;
      const iou = iouMatrix(truth.boxes, candidates);
      const best = Array.from({ length: n }, (_, j) => {
        let g = -1, v = 0;
        for (let i = 0; i < m; i++) if (iou[i * n + j]! > v) [g, v] = [i, iou[i * n + j]!];
        return { g, v };
      });
      const fg = shuffledIndices(n, random).filter((j) => best[j]!.v >= 0.5).slice(0, perImage / 4);
      const bg = shuffledIndices(n, random).filter((j) => best[j]!.v < 0.5).slice(0, perImage - fg.length);
      const chosen = [...fg, ...bg];
      if (chosen.length === 0) continue;
      const boxes = Float32Array.from(chosen.flatMap((j) => Array.from(candidates.subarray(4 * j, 4 * j + 4))));
      const image = tf.tensor4d(Float32Array.from(sample.image.data, (v) => v / 255), [1, sample.image.height, sample.image.width, 3]);
      crops.push(this.crops(image, boxes));
      image.dispose();
      const encoded = tf.tidy(() => this.coder.encode(
        tf.tensor2d(chosen.flatMap((j) => (best[j]!.g >= 0 ? Array.from(truth.boxes.subarray(4 * best[j]!.g, 4 * best[j]!.g + 4)) : [0, 0, 1, 1])), [chosen.length, 4]),
        tf.tensor2d(boxes, [chosen.length, 4]),
      ).dataSync());
      chosen.forEach((j, c) => {
        const { g, v } = best[j]!;
        labels.push(v >= 0.5 ? truth.labels[g]! + 1 : 0);
        overlaps.push(v);
        boxLabels.push(g >= 0 ? truth.labels[g]! : -1);
        regression.push(...(g >= 0 ? encoded.subarray(4 * c, 4 * c + 4) : [0, 0, 0, 0]));
      });
    }
    if (crops.length === 0) throw new Error('RCNN: the batch has no proposals and no ground-truth boxes to crop; give images with objects or proposals');
    const all = tf.concat(crops) as tf.Tensor4D;
    tf.dispose(crops);
    return { crops: all, labels, overlaps, boxLabels, regression };
  }

  /**
   * One-vs-rest SVM targets (+1 for the class, -1 for other classes and background, weight 0 for IoU
   * 0.3 .. 0.5 of the own class) and regression targets (proposals at IoU >= 0.6), [K, C] and [K, 4 C].
   */
  #stageTargets(data: { labels: number[]; overlaps: number[]; boxLabels: number[]; regression: number[] }) {
    const k = data.labels.length, c = this.numClasses;
    const svmTarget = new Float32Array(k * c), svmWeight = new Float32Array(k * c);
    const regMask = new Float32Array(k * 4 * c), regTarget = new Float32Array(k * 4 * c);
    for (let i = 0; i < k; i++) {
      const positive = data.overlaps[i]! >= 0.5, negative = data.overlaps[i]! < 0.3;
      for (let j = 0; j < c; j++) {
        const own = data.boxLabels[i] === j;
        svmTarget[i * c + j] = positive && own ? 1 : -1;
        svmWeight[i * c + j] = (positive && own) || negative || !own ? 1 : 0;
      }
      if (data.overlaps[i]! >= 0.6 && data.boxLabels[i]! >= 0) {
        const b = data.boxLabels[i]!;
        regMask.fill(1, i * 4 * c + 4 * b, i * 4 * c + 4 * b + 4);
        regTarget.set(data.regression.slice(4 * i, 4 * i + 4), i * 4 * c + 4 * b);
      }
    }
    return { svmTarget, svmWeight, regMask, regTarget };
  }

  /**
   * The SVMs' weighted hinge loss over `count` crops and the regressors' squared error over their masked
   * targets, with weight decay on both (the ridge of the paper's regression) counted in the SVMs' part.
   * features [K, 128]; target, weight [K, C]; mask, regression [K, 4 C].
   */
  #linearLosses(features: tf.Tensor, target: tf.Tensor, weight: tf.Tensor, mask: tf.Tensor, regression: tf.Tensor, count: number): { svm: tf.Scalar; regressor: tf.Scalar } {
    const margins = this.svm.call(features);
    const hinge = tf.div(tf.sum(tf.mul(weight, tf.relu(tf.sub(1, tf.mul(target, margins))))), count);
    const squared = tf.div(tf.sum(tf.square(tf.sub(tf.mul(this.regressor.call(features), mask), regression))), tf.maximum(tf.sum(mask), 1));
    const decay = tf.mul(1e-3, tf.add(tf.sum(tf.square(this.svm.weight)), tf.sum(tf.square(this.regressor.weight))));
    return { svm: tf.add(hinge, decay) as tf.Scalar, regressor: squared as tf.Scalar };
  }

  /**
   * The three stages' losses on one batch, as `fit` minimises them one after the other: `classifier`
   * (the fine-tuning softmax over C + 1 classes), `svm` (hinge) and `regressor` (squared error), on up to
   * 16 sampled crops per image. Each target's proposals are used where given, else selective search runs
   * on its image. images [N, H, W, 3] in [0, 1], any size.
   */
  loss(images: tf.Tensor4D, targets: readonly DetectionTarget[]): DetectionLosses {
    return tf.tidy(() => {
      const samples = targets.map((t, n) => {
        const image = batchImage(images, n);
        return { image, boxes: Float32Array.from(t.boxes), labels: Int32Array.from(t.labels), proposals: t.proposals ?? regionProposals(image, this.proposalOptions) };
      });
      const data = this.#trainingCrops(samples, 16, this.#random);
      const k = data.labels.length, c = this.numClasses;
      const { svmTarget, svmWeight, regMask, regTarget } = this.#stageTargets(data);
      const features = this.cnn.call(data.crops);
      const classifier = crossEntropy(this.softmax.call(features), tf.tensor1d(data.labels, 'int32'));
      const linear = this.#linearLosses(features, tf.tensor2d(svmTarget, [k, c]), tf.tensor2d(svmWeight, [k, c]), tf.tensor2d(regMask, [k, 4 * c]), tf.tensor2d(regTarget, [k, 4 * c]), k);
      return { classifier, ...linear };
    });
  }

  /**
   * The paper's three stages on proposals precomputed per sample: (1) fine-tune the CNN with a softmax
   * over C + 1 classes (proposals at IoU >= 0.5 are their object's class, the rest background); (2) train
   * the per-class linear SVMs on the frozen features (positives: IoU >= 0.5 here, where the paper takes the
   * ground-truth boxes only; negatives: IoU < 0.3); (3) train the regressors on proposals with IoU >= 0.6.
   */
  async fit(samples: readonly (DetectionSample & { proposals: Float32Array })[], options: { epochs?: number; cropsPerImage?: number; seed?: number; onEpoch?: (stage: string, epoch: number, loss: number) => void } = {}): Promise<void> {
    const random = seededRandom(options.seed ?? 0);
    const data = this.#trainingCrops(samples, options.cropsPerImage ?? 16, random);
    const k = data.labels.length;
    const c = this.numClasses;
    const { svmTarget, svmWeight, regMask, regTarget } = this.#stageTargets(data);
    const labels = tf.tensor1d(data.labels, 'int32');
    const batch = 64;
    const run = async (stage: string, variables: tf.Variable[], epochs: number, loss: (x: tf.Tensor4D, index: tf.Tensor1D) => tf.Scalar) => {
      const optimizer = tf.train.adam(2e-3);
      for (let epoch = 0; epoch < epochs; epoch++) {
        this.train();
        const order = shuffledIndices(k, random);
        let sum = 0, steps = 0;
        for (let start = 0; start + batch <= k; start += batch) {
          const index = tf.tensor1d(order.slice(start, start + batch), 'int32');
          const x = tf.gather(data.crops, index);
          const cost = optimizer.minimize(() => loss(x as tf.Tensor4D, index), true, variables)!;
          sum += (await cost.data())[0]!;
          tf.dispose([cost, index, x]);
          steps++;
        }
        options.onEpoch?.(stage, epoch, sum / Math.max(1, steps));
      }
      optimizer.dispose();
    };
    const epochs = options.epochs ?? 4;
    const cnnVariables = [...this.cnn.trainableVariables(), ...this.softmax.trainableVariables()];
    await run('fine-tune', cnnVariables, epochs, (x, index) => crossEntropy(this.softmax.call(this.cnn.call(x)), tf.gather(labels, index)));
    this.eval();
    const features = tf.tidy(() => this.cnn.call(data.crops));
    const [target, weight, mask, regression] = [tf.tensor2d(svmTarget, [k, c]), tf.tensor2d(svmWeight, [k, c]), tf.tensor2d(regMask, [k, 4 * c]), tf.tensor2d(regTarget, [k, 4 * c])];
    await run('svm + regressor', [...this.svm.trainableVariables(), ...this.regressor.trainableVariables()], epochs * 2, (_x, index) => {
      const f = tf.gather(features, index);
      const { svm, regressor } = this.#linearLosses(f, tf.gather(target, index), tf.gather(weight, index), tf.gather(mask, index), tf.gather(regression, index), batch);
      return tf.add(svm, regressor) as tf.Scalar;
    });
    tf.dispose([features, target, weight, mask, regression, labels, data.crops]);
  }

  /**
   * Detections per image, on the whole image at its own size: proposals (selective search unless given),
   * each warped to the crop size, CNN features, SVM margins as scores (unbounded; those <= `scoreThreshold`,
   * default -0.5, and NaN dropped), class-specific box regression, clipping, and per-class NMS at IoU 0.3
   * (the paper's). No proposals give no detections.
   */
  async detect(images: DetectorImages, options: { proposals?: readonly Float32Array[]; scoreThreshold?: number; maxDetections?: number } = {}): Promise<Detections[]> {
    this.eval();
    const out: Detections[] = [];
    const count = images instanceof tf.Tensor ? images.shape[0] : images.length;
    for (let n = 0; n < count; n++) {
      const image = images instanceof tf.Tensor ? batchImage(images, n) : images[n]!;
      const proposals = options.proposals?.[n] ?? regionProposals(image, this.proposalOptions);
      const k = proposals.length / 4;
      if (k === 0) {
        out.push({ boxes: new Float32Array(0), scores: new Float32Array(0), labels: new Int32Array(0) });
        continue;
      }
      const [margins, decoded] = tf.tidy(() => {
        const x = images instanceof tf.Tensor ? tf.slice(images, [n, 0, 0, 0], [1, -1, -1, -1]) : tf.expandDims(imageToTensor(image), 0) as tf.Tensor4D;
        const features = this.cnn.call(this.crops(x, proposals));
        const boxes = tf.tensor2d(proposals, [k, 4]);
        return [this.svm.call(features).dataSync(), this.coder.decode(this.regressor.call(features) as tf.Tensor2D, boxes).dataSync()];
      });
      const boxes: number[] = [], scores: number[] = [], labels: number[] = [];
      for (let i = 0; i < k; i++) {
        for (let c = 0; c < this.numClasses; c++) {
          const score = margins[i * this.numClasses + c]!;
          if (!(score > (options.scoreThreshold ?? -0.5))) continue;
          const box = Float32Array.from(decoded.subarray((i * this.numClasses + c) * 4, (i * this.numClasses + c) * 4 + 4));
          if (clipAndFilter(box, [image.height, image.width], 1).length === 0) continue;
          boxes.push(...box);
          scores.push(score);
          labels.push(c);
        }
      }
      const keep = batchedNmsHost(boxes, scores, labels, 0.3).slice(0, options.maxDetections ?? 100);
      out.push({
        boxes: Float32Array.from(Array.from(keep).flatMap((i) => boxes.slice(4 * i, 4 * i + 4))),
        scores: Float32Array.from(keep, (i) => scores[i]!),
        labels: Int32Array.from(keep, (i) => labels[i]!),
      });
    }
    return out;
  }
}

export function rcnnSmall(options: RCNNOptions = {}): RCNN {
  return new RCNN(options);
}

registerModel({
  name: 'rcnn_small',
  task: 'detection',
  family: 'rcnn',
  description: 'R-CNN: selective search, 24x24 warped crops, a 3-conv CNN, per-class hinge-loss linear SVMs and box regressors',
  inputShape: [24, 24, 3],
  minInputSize: 24,
  numClasses: 3,
  preprocessing: OBJECT_DETECTION_PREPROCESSING,
  categories: SHAPE_CLASSES,
  create: (options) => rcnnSmall({ numClasses: options?.numClasses }),
});
