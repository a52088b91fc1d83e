import * as tf from '@tensorflow/tfjs-core';
import { Module, registerModel } from '@convkit/core';
import { type DetectionLosses, type DetectionTarget, type Detector, type DetectorImages, detectAtSize, OBJECT_DETECTION_PREPROCESSING } from '../detector.js';
import type { Detections } from '../metrics.js';
import { AnchorGenerator } from '../ops/anchors.js';
import { BoxCoder } from '../ops/box-coder.js';
import { BalancedPositiveNegativeSampler } from '../ops/matcher.js';
import { type Backbone, smallBackbone } from './backbone.js';
import { cleanTruth } from './host-boxes.js';
import { type PostprocessOptions, RoIHeads, postprocessDetections, roiHeadsLoss, sampleRoiTargets } from './roi-heads.js';
import { type ProposalOptions, RPNHead, filterProposals, rpnLoss, rpnTargets } from './rpn.js';
import { SHAPE_CLASSES } from '../datasets/shapes.js';

export interface FasterRCNNOptions {
  /** Object classes, without the background (default 3, the synthetic shapes). */
  numClasses?: number;
  /** Square input side (default 64). */
  inputSize?: number;
  /** Anchor sizes in pixels (default 16, 32) and ratios (default 0.5, 1, 2). */
  anchorSizes?: readonly number[];
  aspectRatios?: readonly number[];
  /** Proposal filtering while training and at test time. */
  trainProposals?: ProposalOptions;
  testProposals?: ProposalOptions;
  /** Seed of the two samplers. */
  seed?: number;
  /** The feature extractor (default the small 4-conv backbone). */
  backbone?: Backbone;
  /** RoI heads: pooling (default 'align'), pooled size (default 4) and FC width (default 128). */
  pooling?: 'align' | 'pool';
  roiOutputSize?: number;
  roiHidden?: number;
  /** The RPN's classification outputs per anchor: 1 logit (torchvision, default) or 2 scores (the paper). */
  rpnScoresPerAnchor?: 1 | 2;
  /** Anchors per image in the RPN loss (default 128) and RoIs per image in the heads' loss (default 32). */
  rpnBatchSize?: number;
  roiBatchSize?: number;
}

/**
 * Faster R-CNN (Ren et al. 2015) on a small backbone: the RPN proposes boxes from anchors over the shared
 * feature map, proposal filtering keeps the best, and the RoI heads (RoI Align, two FC layers) classify
 * and refine them. Trained end to end with both stages' losses summed (torchvision's approximate joint
 * training). forward: images [N, H, W, 3] in [0, 1] -> the RPN's outputs; use `loss` and `detect`.
 */
export class FasterRCNN extends Module<tf.Tensor, { objectness: tf.Tensor2D; deltas: tf.Tensor3D }> implements Detector {
  readonly backbone: Backbone;
  readonly rpn: RPNHead;
  readonly roiHeads: RoIHeads;
  readonly anchorGenerator: AnchorGenerator;
  readonly rpnCoder = new BoxCoder([1, 1, 1, 1]);
  readonly numClasses: number;
  readonly inputSize: number;
  readonly #rpnSampler: BalancedPositiveNegativeSampler;
  readonly #roiSampler: BalancedPositiveNegativeSampler;
  readonly #trainProposals: ProposalOptions;
  readonly #testProposals: ProposalOptions;
  #anchors: Float32Array | null = null;

  constructor(options: FasterRCNNOptions = {}) {
    super();
    this.numClasses = options.numClasses ?? 3;
    this.inputSize = options.inputSize ?? 64;
    this.backbone = options.backbone ?? smallBackbone();
    this.registerModule('backbone', this.backbone.body);
    this.anchorGenerator = new AnchorGenerator([[...(options.anchorSizes ?? [16, 32])]], [...(options.aspectRatios ?? [0.5, 1, 2])]);
    const anchorsPerCell = this.anchorGenerator.numAnchorsPerLocation()[0]!;
    this.rpn = this.registerModule('rpn', new RPNHead(this.backbone.outChannels, anchorsPerCell, options.rpnScoresPerAnchor === 2));
    this.roiHeads = this.registerModule('roi_heads', new RoIHeads({
      pooling: options.pooling ?? 'align', spatialScale: 1 / this.backbone.stride, inChannels: this.backbone.outChannels, numClasses: this.numClasses,
      outputSize: options.roiOutputSize ?? 4, hidden: options.roiHidden,
    }));
    this.#rpnSampler = new BalancedPositiveNegativeSampler(options.rpnBatchSize ?? 128, 0.5, options.seed ?? 0);
    this.#roiSampler = new BalancedPositiveNegativeSampler(options.roiBatchSize ?? 32, 0.25, (options.seed ?? 0) + 1);
    this.#trainProposals = { preNmsTopN: 300, postNmsTopN: 64, ...options.trainProposals };
    this.#testProposals = { preNmsTopN: 150, postNmsTopN: 32, ...options.testProposals };
  }

  get imageSize(): [number, number] {
    return [this.inputSize, this.inputSize];
  }

  /** Anchors [A_total, 4] for the model's input size. */
  anchors(): Float32Array {
    const side = Math.ceil(this.inputSize / this.backbone.stride);
    this.#anchors ??= this.anchorGenerator.generateHost(this.imageSize, [[side, side]]);
    return this.#anchors;
  }

  forward(x: tf.Tensor): { objectness: tf.Tensor2D; deltas: tf.Tensor3D } {
    return tf.tidy(() => this.rpn.call(this.backbone.body.call(x) as tf.Tensor4D));
  }

  /**
   * The training losses of a batch: the RPN's (objectness + anchor regression) and the RoI heads'
   * (classification + box regression), each a scalar. Proposals come from the current RPN outputs and
   * carry no gradient, as in torchvision (approximate joint training).
   * images [N, S, S, 3] in [0, 1] at the model's input size; targets: per image, boxes in pixels and 0-based labels.
   */
  loss(images: tf.Tensor4D, targets: readonly DetectionTarget[]): DetectionLosses {
    const [, h, w] = images.shape;
    if (h !== this.inputSize || w !== this.inputSize) {
      throw new Error(`FasterRCNN.loss: images are ${h}x${w}; this model trains at ${this.inputSize}x${this.inputSize} (resize them, or build it with inputSize ${h})`);
    }
    return tf.tidy(() => {
      const clean = targets.map((t) => cleanTruth(t.boxes, t.labels, this.imageSize, this.numClasses));
      const n = images.shape[0];
      const features = this.backbone.body.call(images) as tf.Tensor4D;
      const { objectness, deltas } = this.rpn.call(features);
      const anchors = this.anchors();
      const proposals = filterProposals(objectness.dataSync() as Float32Array, deltas.dataSync() as Float32Array, anchors, n, this.imageSize, this.rpnCoder, this.#trainProposals);
      const rpn = rpnLoss(objectness, deltas, rpnTargets(anchors, clean, this.#rpnSampler, this.rpnCoder));
      const sampled = sampleRoiTargets(proposals.map((p) => p.boxes), clean, this.#roiSampler, this.roiHeads.coder);
      const heads = this.roiHeads.call({ features, rois: tf.tensor2d(sampled.rois, [sampled.labels.length, 5]) });
      return { rpn, roiHeads: roiHeadsLoss(heads.scores, heads.deltas, sampled) };
    });
  }

  /**
   * Detections per image in its own pixels (eval mode): each image resized to the model's square input
   * and the boxes mapped back. An image without proposals gets no detections.
   */
  detect(images: DetectorImages, options: PostprocessOptions = {}): Promise<Detections[]> {
    return detectAtSize(images, this.imageSize, (x) => this.#detectBatch(x, options));
  }

  async #detectBatch(x: tf.Tensor4D, options: PostprocessOptions): Promise<Detections[]> {
    this.eval();
    const n = x.shape[0];
    const features = this.backbone.body.call(x) as tf.Tensor4D;
    const { objectness, deltas } = this.rpn.call(features);
    const proposals = filterProposals(await objectness.data() as Float32Array, await deltas.data() as Float32Array, this.anchors(), n, this.imageSize, this.rpnCoder, this.#testProposals);
    tf.dispose([objectness, deltas]);
    const rois = Float32Array.from(proposals.flatMap((p, image) => Array.from({ length: p.boxes.length / 4 }, (_, i) => [image, ...p.boxes.subarray(4 * i, 4 * i + 4)]).flat()));
    const k = rois.length / 5;
    if (k === 0) {
      features.dispose();
      return Array.from({ length: n }, () => ({ boxes: new Float32Array(0), scores: new Float32Array(0), labels: new Int32Array(0) }));
    }
    const heads = tf.tidy(() => this.roiHeads.call({ features, rois: tf.tensor2d(rois, [k, 5]) }));
    features.dispose();
    const result = await postprocessDetections(heads.scores, heads.deltas, rois, n, this.imageSize, this.roiHeads.coder, options);
    tf.dispose([heads.scores, heads.deltas]);
    return result;
  }
}

/** Faster R-CNN for 64 x 64 images: the small backbone (stride 4), anchors 16 and 32 px x 3 ratios, RoI Align 7 x 7. */
export function fasterrcnnSmall(options: FasterRCNNOptions = {}): FasterRCNN {
  return new FasterRCNN(options);
}

registerModel({
  name: 'fasterrcnn_small',
  task: 'detection',
  family: 'rcnn',
  description: 'Faster R-CNN on a 4-conv backbone (stride 4): RPN over 16/32 px anchors, RoI Align heads; for 64x64 synthetic shapes',
  inputShape: [64, 64, 3],
  minInputSize: 64,
  numClasses: 3,
  preprocessing: OBJECT_DETECTION_PREPROCESSING,
  categories: SHAPE_CLASSES,
  create: (options) => fasterrcnnSmall({ numClasses: options?.numClasses }),
});
