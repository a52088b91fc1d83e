import * as tf from '@tensorflow/tfjs-core';
import { Flatten, Linear, Module, ReLU, Sequential, crossEntropy, smoothL1Loss } from '@convkit/core';
import { BoxCoder } from '../ops/box-coder.js';
import { BalancedPositiveNegativeSampler, Matcher } from '../ops/matcher.js';
import { batchedNmsHost } from '../ops/nms.js';
import { roiAlign } from '../ops/roi-align.js';
import { roiPool } from '../ops/roi-pool.js';
import type { Detections } from '../metrics.js';
import { clipAndFilter, iouMatrix } from './host-boxes.js';

export interface RoIHeadsOptions {
  /** 'align' (Faster R-CNN, torchvision) or 'pool' (Fast R-CNN's RoI max pooling). */
  pooling: 'align' | 'pool';
  /** Pooled size (default 7). */
  outputSize?: number;
  /** 1 / backbone stride. */
  spatialScale: number;
  inChannels: number;
  /** Width of the two fully-connected layers (default 128). */
  hidden?: number;
  /** Object classes, without the background. */
  numClasses: number;
}

/**
 * The two-headed network of Fast and Faster R-CNN: RoI pooling (max, Fast R-CNN) or RoI Align, two
 * fully-connected layers with ReLU, then class scores [K, C + 1] (0 is background) and class-specific box
 * regression [K, 4 (C + 1)]. input: features [N, h, w, C] and rois [K, 5] (batch index, x1, y1, x2, y2)
 * in image pixels.
 */
export class RoIHeads extends Module<{ features: tf.Tensor4D; rois: tf.Tensor2D }, { scores: tf.Tensor2D; deltas: tf.Tensor2D }> {
  readonly fc: Sequential;
  readonly classifier: Linear;
  readonly boxRegressor: Linear;
  readonly outputSize: number;
  /** The box head's coder, torchvision's weights (10, 10, 5, 5). */
  readonly coder = new BoxCoder([10, 10, 5, 5]);

  constructor(readonly options: RoIHeadsOptions) {
    super();
    this.outputSize = options.outputSize ?? 7;
    const hidden = options.hidden ?? 128;
    this.fc = this.registerModule('fc', new Sequential(
      new Flatten(), new Linear(options.inChannels * this.outputSize ** 2, hidden), new ReLU(), new Linear(hidden, hidden), new ReLU(),
    ));
    this.classifier = this.registerModule('classifier', new Linear(hidden, options.numClasses + 1));
    this.boxRegressor = this.registerModule('boxRegressor', new Linear(hidden, 4 * (options.numClasses + 1)));
  }

  forward({ features, rois }: { features: tf.Tensor4D; rois: tf.Tensor2D }): { scores: tf.Tensor2D; deltas: tf.Tensor2D } {
    return tf.tidy(() => {
      const pooled = this.options.pooling === 'align'
        ? roiAlign(features, rois, this.outputSize, { spatialScale: this.options.spatialScale, samplingRatio: 2 })
        : roiPool(features, rois, this.outputSize, this.options.spatialScale);
      const x = this.fc.call(pooled);
      return { scores: this.classifier.call(x) as tf.Tensor2D, deltas: this.boxRegressor.call(x) as tf.Tensor2D };
    });
  }
}

/** Sampled RoIs of a batch and their targets. */
export interface RoITargets {
  /** [K, 5] (batch index, x1, y1, x2, y2). */
  rois: Float32Array;
  /** [K]: 0 background, c + 1 for class c. */
  labels: Int32Array;
  /** [K, 4]: BoxCoder (10, 10, 5, 5) targets, zero for the background. */
  regression: Float32Array;
}

export interface RoISamplingOptions {
  /** Foreground at IoU >= this, background below it (Fast R-CNN's 0.5). */
  fgIouThreshold?: number;
  /** RoIs per image (default 64). */
  batchSizePerImage?: number;
  /** Foreground fraction (default 0.25, as both papers). */
  positiveFraction?: number;
}

/**
 * Training targets of the box head, as torchvision's RoIHeads: the ground-truth boxes join the proposals,
 * Matcher(0.5, 0.5) labels each with its best ground truth's class or background, the sampler picks a
 * quarter foreground, and BoxCoder encodes the foreground's regression targets. An image without ground
 * truth gives only background. proposals, truths: per image, host [K, 4] boxes (truths with labels 0-based).
 */
export function sampleRoiTargets(
  proposals: readonly Float32Array[], truths: readonly { boxes: Float32Array; labels: Int32Array }[],
  sampler: BalancedPositiveNegativeSampler, coder: BoxCoder, options: RoISamplingOptions = {},
): RoITargets {
  const threshold = options.fgIouThreshold ?? 0.5;
  const matcher = new Matcher(threshold, threshold, false);
  const rois: number[] = [], labels: number[] = [], matched: number[] = [], sources: number[] = [];
  proposals.forEach((boxes, image) => {
    const truth = truths[image]!;
    const candidates = new Float32Array(boxes.length + truth.boxes.length);
    candidates.set(boxes);
    candidates.set(truth.boxes, boxes.length);
    const n = candidates.length / 4, m = truth.labels.length;
    const matches = matcher.matchHost(iouMatrix(truth.boxes, candidates), m, n);
    const candidateLabels = Int32Array.from(matches, (g) => (g >= 0 ? truth.labels[g]! + 1 : 0));
    const { positive, negative } = sampler.sampleHost(candidateLabels);
    for (const i of [...positive, ...negative]) {
      rois.push(image, ...candidates.subarray(4 * i, 4 * i + 4));
      labels.push(candidateLabels[i]!);
      const g = matches[i]!;
      matched.push(...(g >= 0 ? truth.boxes.subarray(4 * g, 4 * g + 4) : candidates.subarray(4 * i, 4 * i + 4)));
      sources.push(...candidates.subarray(4 * i, 4 * i + 4));
    }
  });
  const k = labels.length;
  const regression = k === 0 ? new Float32Array(0) : tf.tidy(() => coder.encode(tf.tensor2d(matched, [k, 4]), tf.tensor2d(sources, [k, 4])).dataSync() as Float32Array);
  for (let i = 0; i < k; i++) if (labels[i] === 0) regression.fill(0, 4 * i, 4 * i + 4);
  return { rois: Float32Array.from(rois), labels: Int32Array.from(labels), regression };
}

/**
 * Fast R-CNN's multi-task loss: cross entropy over C + 1 classes plus smooth L1 (beta 1/9, as torchvision)
 * on the true class's box deltas of the foreground RoIs, summed and divided by the number of RoIs.
 */
export function roiHeadsLoss(scores: tf.Tensor2D, deltas: tf.Tensor2D, targets: RoITargets): tf.Scalar {
  const k = targets.labels.length;
  const width = deltas.shape[1];
  return tf.tidy(() => {
    // No RoIs at all (no proposals and no ground truth in the batch): a zero that keeps the heads on the tape.
    if (k === 0) return tf.mul(tf.add(tf.sum(scores), tf.sum(deltas)), 0) as tf.Scalar;
    const mask = new Float32Array(k * width);
    const target = new Float32Array(k * width);
    for (let i = 0; i < k; i++) {
      const label = targets.labels[i]!;
      if (label === 0) continue;
      mask.fill(1, i * width + 4 * label, i * width + 4 * label + 4);
      target.set(targets.regression.subarray(4 * i, 4 * i + 4), i * width + 4 * label);
    }
    const classification = crossEntropy(scores, tf.tensor1d(targets.labels, 'int32'));
    const box = tf.mul(smoothL1Loss(tf.mul(deltas, tf.tensor2d(mask, [k, width])), tf.tensor2d(target, [k, width]), 1 / 9), width);
    return tf.add(classification, box) as tf.Scalar;
  });
}

export interface PostprocessOptions {
  /** Softmax scores at or below this are dropped (default 0.05, torchvision's box_score_thresh). */
  scoreThreshold?: number;
  /** Per-class NMS IoU (default 0.5). */
  iouThreshold?: number;
  /** Detections per image (default 100). */
  maxDetections?: number;
  /** Boxes narrower or lower than this, in pixels, after clipping are dropped (default 1). */
  minSize?: number;
}

/**
 * Detections from the box head, as torchvision's postprocess_detections: softmax scores, class-specific
 * boxes decoded from each RoI, clipped to the image; background, low scores (NaN included) and small boxes
 * dropped; per-class NMS; the best `maxDetections`. Labels come back 0-based (the background removed).
 * scores [K, C + 1], deltas [K, 4 (C + 1)], rois [K, 5] as given to the heads; imageSize: [height, width]
 * of every image, or one per image.
 */
export async function postprocessDetections(
  scores: tf.Tensor2D, deltas: tf.Tensor2D, rois: Float32Array, numImages: number,
  imageSize: readonly [number, number] | readonly (readonly [number, number])[], coder: BoxCoder, options: PostprocessOptions = {},
): Promise<Detections[]> {
  const sizeOf = (image: number) => (typeof imageSize[0] === 'number' ? imageSize as readonly [number, number] : (imageSize as readonly (readonly [number, number])[])[image]!);
  const k = scores.shape[0];
  const classes = scores.shape[1];
  let probabilities: Float32Array = new Float32Array(0);
  let decoded: Float32Array = new Float32Array(0);
  if (k > 0) {
    // Read back without blocking: on webgl a dataSync here stalls the page until the GPU is done.
    const [p, d] = tf.tidy(() => [tf.softmax(scores), coder.decode(deltas, tf.slice(tf.tensor2d(rois, [k, 5]), [0, 1], [k, 4]))]);
    try {
      [probabilities, decoded] = (await Promise.all([p!.data(), d!.data()])) as [Float32Array, Float32Array];
    } finally {
      tf.dispose([p!, d!]);
    }
  }
  const threshold = options.scoreThreshold ?? 0.05;
  const perImage = Array.from({ length: numImages }, () => ({ boxes: [] as number[], scores: [] as number[], labels: [] as number[] }));
  for (let i = 0; i < k; i++) {
    const image = rois[5 * i]!;
    const target = perImage[image]!;
    for (let c = 1; c < classes; c++) {
      const score = probabilities[i * classes + c]!;
      if (!(score > threshold)) continue;
      const box = decoded.slice((i * classes + c) * 4, (i * classes + c) * 4 + 4);
      if (clipAndFilter(box, sizeOf(image), options.minSize ?? 1).length === 0) continue;
      target.boxes.push(...box);
      target.scores.push(score);
      target.labels.push(c - 1);
    }
  }
  return perImage.map(({ boxes, scores: s, labels }) => {
    const keep = batchedNmsHost(boxes, s, labels, options.iouThreshold ?? 0.5).slice(0, options.maxDetections ?? 100);
    return {
      boxes: Float32Array.from(Array.from(keep).flatMap((i) => boxes.slice(4 * i, 4 * i + 4))),
      scores: Float32Array.from(keep, (i) => s[i]!),
      labels: Int32Array.from(keep, (i) => labels[i]!),
    };
  });
}
