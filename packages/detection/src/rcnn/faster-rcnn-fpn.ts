import * as tf from '@tensorflow/tfjs-core';
import { Flatten, Linear, Module, ReLU, Sequential, registerModel } from '@convkit/core';
import { type DetectionLosses, type DetectionTarget, type Detector, type DetectorImages, OBJECT_DETECTION_PREPROCESSING } from '../detector.js';
import type { Detections } from '../metrics.js';
import { AnchorGenerator } from '../ops/anchors.js';
import { BoxCoder } from '../ops/box-coder.js';
import { BalancedPositiveNegativeSampler } from '../ops/matcher.js';
import { multiScaleRoiAlign } from '../ops/multi-scale-roi-align.js';
import { type BackboneWithFPN, resnet50FpnBackbone } from './backbone-with-fpn.js';
import { GeneralizedRCNNTransform, type GeneralizedRCNNTransformOptions, type ImageList } from './generalized-rcnn-transform.js';
import { cleanTruth } from './host-boxes.js';
import { type PyramidProposalOptions, RegionProposalNetwork } from './region-proposal-network.js';
import { type PostprocessOptions, postprocessDetections, roiHeadsLoss, sampleRoiTargets } from './roi-heads.js';
import { rpnLoss, rpnTargets } from './rpn.js';
import { COCO_V1_CATEGORIES } from '../categories.js';

/** torchvision's TwoMLPHead: flatten (PyTorch's channel-major order), fc6 + ReLU, fc7 + ReLU. [K, 7, 7, C] -> [K, hidden]. */
export class TwoMLPHead extends Module {
  readonly fc6: Linear;
  readonly fc7: Linear;
  readonly #layers: Sequential;

  constructor(inFeatures: number, hidden: number) {
    super();
    this.fc6 = this.registerModule('fc6', new Linear(inFeatures, hidden));
    this.fc7 = this.registerModule('fc7', new Linear(hidden, hidden));
    this.#layers = new Sequential(new Flatten(), this.fc6, new ReLU(), this.fc7, new ReLU());
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.#layers.call(x);
  }
}

/** torchvision's FastRCNNPredictor: class logits [K, C + 1] (`cls_score`) and class-specific deltas [K, 4 (C + 1)] (`bbox_pred`). */
export class FastRCNNPredictor extends Module<tf.Tensor, { scores: tf.Tensor2D; deltas: tf.Tensor2D }> {
  readonly clsScore: Linear;
  readonly bboxPred: Linear;

  constructor(inFeatures: number, numClasses: number) {
    super();
    this.clsScore = this.registerModule('cls_score', new Linear(inFeatures, numClasses));
    this.bboxPred = this.registerModule('bbox_pred', new Linear(inFeatures, 4 * numClasses));
  }

  forward(x: tf.Tensor): { scores: tf.Tensor2D; deltas: tf.Tensor2D } {
    return tf.tidy(() => ({ scores: this.clsScore.call(x) as tf.Tensor2D, deltas: this.bboxPred.call(x) as tf.Tensor2D }));
  }
}

/** torchvision's RoIHeads for boxes: MultiScaleRoIAlign over levels '0'..'3' (7 x 7, sampling ratio 2), TwoMLPHead, FastRCNNPredictor. */
export class PyramidRoIHeads extends Module<{ levels: tf.Tensor4D[]; rois: Float32Array; imageSizes: readonly (readonly [number, number])[] }, { scores: tf.Tensor2D; deltas: tf.Tensor2D }> {
  readonly boxHead: TwoMLPHead;
  readonly boxPredictor: FastRCNNPredictor;
  readonly coder = new BoxCoder([10, 10, 5, 5]);

  constructor(channels: number, numClasses: number, readonly outputSize = 7, readonly samplingRatio = 2, hidden = 1024) {
    super();
    this.boxHead = this.registerModule('box_head', new TwoMLPHead(channels * outputSize ** 2, hidden));
    this.boxPredictor = this.registerModule('box_predictor', new FastRCNNPredictor(hidden, numClasses));
  }

  /** levels: the pyramid without 'pool'; rois [K, 5] (batch index, x1, y1, x2, y2) in resized-image pixels. */
  forward({ levels, rois, imageSizes }: { levels: tf.Tensor4D[]; rois: Float32Array; imageSizes: readonly (readonly [number, number])[] }): { scores: tf.Tensor2D; deltas: tf.Tensor2D } {
    const classes = this.boxPredictor.clsScore.outFeatures;
    if (rois.length === 0) return { scores: tf.zeros([0, classes]), deltas: tf.zeros([0, 4 * classes]) };
    return tf.tidy(() => {
      const pooled = multiScaleRoiAlign(levels, rois, imageSizes, this.outputSize, { samplingRatio: this.samplingRatio });
      return this.boxPredictor.call(this.boxHead.call(pooled));
    });
  }
}

export interface FasterRCNNFPNOptions {
  /** Classes including the background (default 91, COCO's category ids as torchvision). */
  numClasses?: number;
  /** ResNet stages that train, from layer4 down (default 3). */
  trainableLayers?: number;
  /** torchvision's initialisation of the backbone, FPN and RPN; false skips it (for weights about to be loaded). */
  initWeights?: boolean;
  transform?: GeneralizedRCNNTransformOptions;
  /** Anchor sizes per level (default 32, 64, 128, 256, 512) and aspect ratios (0.5, 1, 2 on every level). */
  anchorSizes?: readonly (readonly number[])[];
  aspectRatios?: readonly number[];
  /** Proposal filtering while training (top-n 2000 / 2000) and testing (1000 / 1000); NMS 0.7, min size 1e-3, score 0. */
  trainProposals?: PyramidProposalOptions;
  testProposals?: PyramidProposalOptions;
  /** Detection postprocessing: score > 0.05, per-class NMS 0.5, 100 per image, boxes at least 1e-2 px. */
  postprocess?: PostprocessOptions;
  /** Anchors per image in the RPN loss (default 256, half foreground) and RoIs per image in the box loss (512, a quarter). */
  rpnBatchSize?: number;
  roiBatchSize?: number;
  /** Seed of the two samplers. */
  seed?: number;
}

/** A detection run with the steps where small differences start, for checking against torchvision. */
export interface FasterRCNNSteps {
  /** The transform's output: resized, normalised, padded [N, H_pad, W_pad, 3] values and its sizes. */
  batch: { data: Float32Array; shape: [number, number, number, number]; imageSizes: [number, number][] };
  /** The RPN's proposals per image, in resized-image pixels, best first. */
  proposals: Float32Array[];
  detections: Detections[];
}

/**
 * torchvision's FasterRCNN as `fasterrcnn_resnet50_fpn` builds it (Ren et al. 2015 with the FPN of Lin et
 * al. 2017): GeneralizedRCNNTransform, BackboneWithFPN, RegionProposalNetwork over five levels, RoI heads.
 * State-dict names are torchvision's. `detect` takes 8-bit images of any size and returns boxes in their
 * pixels, scores, and labels 0-based without the background (torchvision's label - 1).
 * forward: a normalised padded batch [N, H, W, 3] -> the box head's outputs for the test-time proposals
 * (synchronous; what `summary` traces).
 */
export class FasterRCNNFPN extends Module<tf.Tensor, { scores: tf.Tensor2D; deltas: tf.Tensor2D }> implements Detector {
  readonly transform: GeneralizedRCNNTransform;
  readonly backbone: BackboneWithFPN;
  readonly rpn: RegionProposalNetwork;
  readonly roiHeads: PyramidRoIHeads;
  readonly numClasses: number;
  readonly postprocessOptions: PostprocessOptions;
  readonly #rpnSampler: BalancedPositiveNegativeSampler;
  readonly #roiSampler: BalancedPositiveNegativeSampler;

  constructor(backbone: BackboneWithFPN, options: FasterRCNNFPNOptions = {}) {
    super();
    this.numClasses = options.numClasses ?? 91;
    this.transform = new GeneralizedRCNNTransform(options.transform);
    this.backbone = this.registerModule('backbone', backbone);
    const anchors = new AnchorGenerator(options.anchorSizes ?? [[32], [64], [128], [256], [512]], options.aspectRatios ?? [0.5, 1, 2]);
    const proposals = (n: number, given?: PyramidProposalOptions) => ({ preNmsTopN: n, postNmsTopN: n, nmsThreshold: 0.7, minSize: 1e-3, scoreThreshold: 0, ...given });
    this.rpn = this.registerModule('rpn', new RegionProposalNetwork(anchors, backbone.outChannels, proposals(2000, options.trainProposals), proposals(1000, options.testProposals), options));
    this.roiHeads = this.registerModule('roi_heads', new PyramidRoIHeads(backbone.outChannels, this.numClasses));
    this.postprocessOptions = { scoreThreshold: 0.05, iouThreshold: 0.5, maxDetections: 100, minSize: 1e-2, ...options.postprocess };
    this.#rpnSampler = new BalancedPositiveNegativeSampler(options.rpnBatchSize ?? 256, 0.5, options.seed ?? 0);
    this.#roiSampler = new BalancedPositiveNegativeSampler(options.roiBatchSize ?? 512, 0.25, (options.seed ?? 0) + 1);
  }

  /**
   * The training losses of a batch, as torchvision's in training mode: `rpn` (Matcher 0.7 / 0.3, balanced
   * anchor sampling; objectness + box regression) and `roiHeads` (ground truth joined to the proposals,
   * Matcher 0.5, a quarter foreground; classification + box regression). Proposals use the training options
   * when the model is in training mode and carry no gradient.
   * images [N, H, W, 3] in [0, 1], any size (the transform resizes them); targets: per image, boxes in its
   * pixels and labels 0-based (torchvision's - 1).
   */
  loss(images: tf.Tensor4D, targets: readonly DetectionTarget[]): DetectionLosses {
    return tf.tidy(() => this.#losses(images, targets));
  }

  #losses(images: tf.Tensor4D, truths: readonly DetectionTarget[]): { rpn: tf.Scalar; roiHeads: tf.Scalar } {
    const list = this.transform.applyTensor(images);
    // torchvision's resize_boxes: ratios resized / original in float32.
    const clean = truths.map((t, i) => {
      const [h, w] = list.imageSizes[i]!, [oh, ow] = list.originalSizes[i]!;
      const ry = Math.fround(h / oh), rx = Math.fround(w / ow);
      const boxes = Float32Array.from(t.boxes, (v, j) => v * (j % 2 === 0 ? rx : ry));
      return cleanTruth(boxes, t.labels, list.imageSizes[i]!, this.numClasses - 1);
    });
    const [, padH, padW] = list.tensors.shape;
    const levels = this.backbone.call(list.tensors);
    const { proposals, anchors, head } = this.rpn.proposeSync(levels, [padH, padW], list.imageSizes);
    const objectness = tf.concat(head.map((h) => h.objectness), 1) as tf.Tensor2D;
    const deltas = tf.concat(head.map((h) => h.deltas), 1) as tf.Tensor3D;
    const allAnchors = new Float32Array(anchors.reduce((n, a) => n + a.length, 0));
    anchors.reduce((offset, a) => (allAnchors.set(a, offset), offset + a.length), 0);
    const rpn = rpnLoss(objectness, deltas, rpnTargets(allAnchors, clean, this.#rpnSampler, this.rpn.coder));
    const targets = sampleRoiTargets(proposals.map((p) => p.boxes), clean, this.#roiSampler, this.roiHeads.coder);
    const heads = this.roiHeads.call({ levels: levels.slice(0, 4), rois: targets.rois, imageSizes: list.imageSizes });
    return { rpn, roiHeads: roiHeadsLoss(heads.scores, heads.deltas, targets) };
  }

  forward(x: tf.Tensor): { scores: tf.Tensor2D; deltas: tf.Tensor2D } {
    return tf.tidy(() => {
      const [n, h, w] = x.shape as [number, number, number, number];
      const levels = this.backbone.call(x);
      const sizes = Array.from({ length: n }, () => [h, w] as [number, number]);
      const { proposals } = this.rpn.proposeSync(levels, [h, w], sizes);
      return this.roiHeads.call({ levels: levels.slice(0, 4), rois: roisOf(proposals), imageSizes: sizes });
    });
  }

  /** Detections per image in its own pixels (eval mode), through the transform: images of any sizes. */
  async detect(images: DetectorImages, options: PostprocessOptions = {}): Promise<Detections[]> {
    if ((images instanceof tf.Tensor ? images.shape[0] : images.length) === 0) return [];
    return (await this.#run(images, options, false)).detections;
  }

  /** `detect` that also returns the transform's batch and the RPN's proposals. */
  async detectSteps(images: DetectorImages, options: PostprocessOptions = {}): Promise<FasterRCNNSteps> {
    return this.#run(images, options, true);
  }

  async #run(images: DetectorImages, options: PostprocessOptions, keepSteps: boolean): Promise<FasterRCNNSteps> {
    this.eval();
    const list: ImageList = images instanceof tf.Tensor ? this.transform.applyTensor(images) : this.transform.apply(images);
    const tensors: tf.Tensor[] = [list.tensors];
    try {
      const shape = list.tensors.shape;
      const batch = { data: keepSteps ? await list.tensors.data() as Float32Array : new Float32Array(0), shape, imageSizes: list.imageSizes };
      const levels = this.backbone.call(list.tensors);
      tensors.push(...levels);
      // On a synchronous backend (cpu, onednn) each stage is seconds of blocking work at full size: between
      // stages, timers and I/O get a turn (a server's other requests, a test runner's heartbeat).
      await nextTask();
      const { proposals, head } = await this.rpn.propose(levels, [shape[1], shape[2]], list.imageSizes);
      tf.dispose(head.flatMap((h) => [h.objectness, h.deltas]));
      const rois = roisOf(proposals);
      await nextTask();
      const { scores, deltas } = this.roiHeads.call({ levels: levels.slice(0, 4), rois, imageSizes: list.imageSizes });
      tensors.push(scores, deltas);
      await nextTask();
      const found = await postprocessDetections(scores, deltas, rois, list.imageSizes.length, list.imageSizes, this.roiHeads.coder, { ...this.postprocessOptions, ...options });
      const detections = found.map((d, i) => ({ ...d, boxes: this.transform.postprocessBoxes(d.boxes, list, i) }));
      return { batch, proposals: proposals.map((p) => p.boxes), detections };
    } finally {
      tf.dispose(tensors);
    }
  }
}

/** Proposals per image -> rois [K, 5] (batch index, x1, y1, x2, y2), torchvision's _convert_to_roi_format. */
function roisOf(proposals: readonly { boxes: Float32Array }[]): Float32Array {
  const k = proposals.reduce((n, p) => n + p.boxes.length / 4, 0);
  const rois = new Float32Array(5 * k);
  let r = 0;
  proposals.forEach((p, image) => {
    for (let i = 0; i < p.boxes.length / 4; i++, r++) {
      rois[5 * r] = image;
      rois.set(p.boxes.subarray(4 * i, 4 * i + 4), 5 * r + 1);
    }
  });
  return rois;
}

/**
 * fasterrcnn_resnet50_fpn as torchvision 0.14 builds it for pretrained weights: ResNet-50 with
 * FrozenBatchNorm2d, three trainable stages, FPN, and 91 classes; 41,755,286 parameters.
 */
export function fasterrcnnResnet50Fpn(options: FasterRCNNFPNOptions = {}): FasterRCNNFPN {
  return new FasterRCNNFPN(resnet50FpnBackbone(options), options);
}

registerModel({
  name: 'fasterrcnn_resnet50_fpn',
  task: 'detection',
  family: 'rcnn',
  description: 'Faster R-CNN with a ResNet-50 FPN backbone (torchvision 0.14): RPN over 5 levels of 32-512 px anchors, MultiScaleRoIAlign, TwoMLPHead; COCO 91 classes',
  inputShape: [800, 800, 3],
  minInputSize: 32,
  numClasses: 91,
  preprocessing: OBJECT_DETECTION_PREPROCESSING,
  categories: COCO_V1_CATEGORIES,
  // GMACs at 800x800 with the 1000 test-time proposals; torchvision publishes it as _ops from 0.15 on.
  reference: { params: 41_755_286, gmacs: 134.38, source: 'torchvision model metadata (COCO_V1)' },
  create: (options = {}) => fasterrcnnResnet50Fpn(options as FasterRCNNFPNOptions),
});

/** Resolves after the event loop has run what is waiting (a macrotask, unlike an awaited promise). */
function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
