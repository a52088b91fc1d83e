import * as tf from '@tensorflow/tfjs-core';
import { Module, registerModel } from '@convkit/core';
import { imagesToTensor } from '../data/shapes.js';
import type { Detections, GroundTruth } from '../eval/map.js';
import { BalancedPositiveNegativeSampler } from '../ops/matcher.js';
import type { RgbImage } from '../selective-search/image.js';
import { type SelectiveSearchOptions, selectiveSearch } from '../selective-search/selective-search.js';
import { type Backbone, smallBackbone } from './backbone.js';
import { cleanTruth, clipAndFilter } from './host-boxes.js';
import { type PostprocessOptions, RoIHeads, postprocessDetections, roiHeadsLoss, sampleRoiTargets } from './roi-heads.js';

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
export class FastRCNN extends Module<tf.Tensor, tf.Tensor> {
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

  /** Multi-task loss of a batch; each truth carries its image's proposals (see `regionProposals`). */
  loss(images: tf.Tensor4D, truths: readonly GroundTruth[]): tf.Scalar {
    const clean = truths.map((t) => cleanTruth(t.boxes, t.labels, this.imageSize, this.numClasses));
    const proposals = truths.map((t) => (t as Partial<GroundTruthWithProposals>).proposals ?? new Float32Array(0));
    const targets = sampleRoiTargets(proposals, clean, this.#sampler, this.roiHeads.coder);
    const features = this.backbone.body.call(images) as tf.Tensor4D;
    const heads = this.roiHeads.call({ features, rois: tf.tensor2d(targets.rois, [targets.labels.length, 5]) });
    return roiHeadsLoss(heads.scores, heads.deltas, targets);
  }

  /**
   * images -> Detections per image. Proposals come from `regionProposals` unless given; an image without
   * proposals gets no detections.
   */
  async detect(images: readonly RgbImage[], options: PostprocessOptions & { proposals?: readonly Float32Array[] } = {}): Promise<Detections[]> {
    if (images.length === 0) return [];
    this.eval();
    const proposals = options.proposals ?? images.map((image) => regionProposals(image, this.proposalOptions));
    const rois = Float32Array.from(proposals.flatMap((p, image) => Array.from({ length: p.length / 4 }, (_, i) => [image, ...p.subarray(4 * i, 4 * i + 4)]).flat()));
    const k = rois.length / 5;
    if (k === 0) return images.map(() => ({ boxes: new Float32Array(0), scores: new Float32Array(0), labels: new Int32Array(0) }));
    const heads = tf.tidy(() => this.roiHeads.call({ features: this.backbone.body.call(imagesToTensor(images)) as tf.Tensor4D, rois: tf.tensor2d(rois, [k, 5]) }));
    const result = await postprocessDetections(heads.scores, heads.deltas, rois, images.length, this.imageSize, this.roiHeads.coder, options);
    tf.dispose([heads.scores, heads.deltas]);
    return result;
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
  create: (options) => fastrcnnSmall({ numClasses: options?.numClasses }),
});
