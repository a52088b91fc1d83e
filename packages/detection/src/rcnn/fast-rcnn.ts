import * as tf from '@tensorflow/tfjs-core';
import { Module, registerModel } from '@convkit/core';
import { type DetectionLosses, type DetectionTarget, type Detector, type DetectorImages, batchImage, detectAtSize, OBJECT_DETECTION_PREPROCESSING } from '../detector.js';
import type { Detections, GroundTruth } from '../metrics.js';
import { BalancedPositiveNegativeSampler } from '../ops/matcher.js';
import type { RgbImage } from '../selective-search/image.js';
import { type SelectiveSearchOptions, selectiveSearch } from '../selective-search/selective-search.js';
import { type Backbone, smallBackbone } from './backbone.js';
import { cleanTruth, clipAndFilter } from './host-boxes.js';
import { type PostprocessOptions, RoIHeads, postprocessDetections, roiHeadsLoss, sampleRoiTargets } from './roi-heads.js';
import { SHAPE_CLASSES } from '../datasets/shapes.js';

/** A training image with its region proposals [K, 4]. */
export type GroundTruthWithProposals = GroundTruth & { proposals: Float32Array };

export interface RegionProposalOptions extends SelectiveSearchOptions {
  /** Proposals kept per image, in selective search's ranking (default 150). */
  maxProposals?: number;
  /** Proposals narrower or lower than this in pixels are dropped (default 4). */
  minSize?: number;
}

/**
 * Selective search proposals (OpenCV's 'fast' mode by default) for one image, clipped, without tiny
 * boxes, at most `maxProposals`: [K, 4] (x1, y1, x2, y2). An empty image gives none.
 */
export function regionProposals(image: RgbImage, options: RegionProposalOptions = {}): Float32Array {
  const boxes = selectiveSearch(image, { mode: 'fast', ...options });
  const keep = clipAndFilter(boxes, [image.height, image.width], options.minSize ?? 4).slice(0, options.maxProposals ?? 150);
  return Float32Array.from(keep.flatMap((i) => Array.from(boxes.subarray(4 * i, 4 * i + 4))));
}

export interface FastRCNNOptions {
  numClasses?: number;
  inputSize?: number;
  proposals?: RegionProposalOptions;
  seed?: number;
}

/**
 * Fast R-CNN (Girshick 2015): external proposals (selective search), one backbone pass over the whole
 * image, RoI max pooling of each proposal from the shared feature map, two FC layers, and the two heads
 * (softmax over C + 1 classes, class-specific box regression) trained with the multi-task loss.
 * forward: images [N, H, W, 3] -> features [N, H / 4, W / 4, 32].
 */
export class FastRCNN extends Module<tf.Tensor, tf.Tensor> implements Detector {
  readonly backbone: Backbone;
  readonly roiHeads: RoIHeads;
  readonly numClasses: number;
  readonly inputSize: number;
  readonly proposalOptions: RegionProposalOptions;
  readonly #sampler: BalancedPositiveNegativeSampler;

  constructor(options: FastRCNNOptions = {}) {
    super();
    this.numClasses = options.numClasses ?? 3;
    this.inputSize = options.inputSize ?? 64;
    this.proposalOptions = options.proposals ?? {};
    this.backbone = smallBackbone();
    this.registerModule('backbone', this.backbone.body);
    this.roiHeads = this.registerModule('roi_heads', new RoIHeads({
      pooling: 'pool', spatialScale: 1 / this.backbone.stride, inChannels: this.backbone.outChannels, numClasses: this.numClasses, outputSize: 4,
    }));
    this.#sampler = new BalancedPositiveNegativeSampler(32, 0.25, options.seed ?? 0);
  }

  get imageSize(): [number, number] {
    return [this.inputSize, this.inputSize];
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.backbone.body.call(x);
  }

  /**
   * The multi-task loss of a batch (classification + box regression of the sampled RoIs), as `roiHeads`.
   * Each target's proposals are used where given (see `regionProposals`), else selective search runs on
   * its image. images [N, S, S, 3] in [0, 1] at the model's input size.
   */
  loss(images: tf.Tensor4D, targets: readonly DetectionTarget[]): DetectionLosses {
    const [, h, w] = images.shape;
    if (h !== this.inputSize || w !== this.inputSize) {
      throw new Error(`FastRCNN.loss: images are ${h}x${w}; this model trains at ${this.inputSize}x${this.inputSize} (resize them, or build it with inputSize ${h})`);
    }
    return tf.tidy(() => {
      const clean = targets.map((t) => cleanTruth(t.boxes, t.labels, this.imageSize, this.numClasses));
      const proposals = targets.map((t, n) => t.proposals ?? regionProposals(batchImage(images, n), this.proposalOptions));
      const sampled = sampleRoiTargets(proposals, clean, this.#sampler, this.roiHeads.coder);
      const features = this.backbone.body.call(images) as tf.Tensor4D;
      const heads = this.roiHeads.call({ features, rois: tf.tensor2d(sampled.rois, [sampled.labels.length, 5]) });
      return { roiHeads: roiHeadsLoss(heads.scores, heads.deltas, sampled) };
    });
  }

  /**
   * Detections per image in its own pixels (eval mode): each image resized to the model's square input,
   * selective search on it unless `proposals` are given (in input-size pixels), and the boxes mapped
   * back. An image without proposals gets no detections.
   */
  detect(images: DetectorImages, options: PostprocessOptions & { proposals?: readonly Float32Array[] } = {}): Promise<Detections[]> {
    return detectAtSize(images, this.imageSize, async (x) => {
      this.eval();
      const n = x.shape[0];
      const proposals = options.proposals ?? Array.from({ length: n }, (_, i) => regionProposals(batchImage(x, i), this.proposalOptions));
      const rois = Float32Array.from(proposals.flatMap((p, image) => Array.from({ length: p.length / 4 }, (_, i) => [image, ...p.subarray(4 * i, 4 * i + 4)]).flat()));
      const k = rois.length / 5;
      if (k === 0) return Array.from({ length: n }, () => ({ boxes: new Float32Array(0), scores: new Float32Array(0), labels: new Int32Array(0) }));
      const heads = tf.tidy(() => this.roiHeads.call({ features: this.backbone.body.call(x) as tf.Tensor4D, rois: tf.tensor2d(rois, [k, 5]) }));
      const result = await postprocessDetections(heads.scores, heads.deltas, rois, n, this.imageSize, this.roiHeads.coder, options);
      tf.dispose([heads.scores, heads.deltas]);
      return result;
    });
  }
}

export function fastrcnnSmall(options: FastRCNNOptions = {}): FastRCNN {
  return new FastRCNN(options);
}

registerModel({
  name: 'fastrcnn_small',
  task: 'detection',
  family: 'rcnn',
  description: 'Fast R-CNN: selective search proposals, one pass of a 4-conv backbone, RoI max pooling 7x7, two FC, two heads',
  inputShape: [64, 64, 3],
  minInputSize: 64,
  numClasses: 3,
  preprocessing: OBJECT_DETECTION_PREPROCESSING,
  categories: SHAPE_CLASSES,
  create: (options) => fastrcnnSmall({ numClasses: options?.numClasses }),
});
