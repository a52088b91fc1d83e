import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Module, smoothL1Loss } from '@convkit/core';
import { BoxCoder } from '../ops/box-coder.js';
import { BalancedPositiveNegativeSampler, Matcher } from '../ops/matcher.js';
import { nmsHost } from '../ops/nms.js';
import { clipAndFilter, iouMatrix } from './host-boxes.js';

/**
 * The region proposal network's head: a 3x3 conv + ReLU over the shared features, then 1x1 convs to
 * A objectness logits and 4 A box deltas per cell. features [N, h, w, C] ->
 * objectness [N, h w A] and deltas [N, h w A, 4], in AnchorGenerator's order (cells row-major, A per cell).
 * With `twoScores` the classification conv has the paper's 2 A outputs (background for each anchor, then
 * object for each, as py-faster-rcnn lays them out) and objectness is their difference: the logit whose
 * sigmoid is the two-class softmax, so the losses and proposals are the same functions of it.
 */
export class RPNHead extends Module<tf.Tensor4D, { objectness: tf.Tensor2D; deltas: tf.Tensor3D }> {
  readonly conv: Conv2d;
  readonly cls: Conv2d;
  readonly bbox: Conv2d;

  constructor(inChannels: number, readonly numAnchors: number, readonly twoScores = false) {
    super();
    this.conv = this.registerModule('conv', new Conv2d(inChannels, inChannels, 3, { padding: 1 }));
    this.cls = this.registerModule('cls_logits', new Conv2d(inChannels, (twoScores ? 2 : 1) * numAnchors, 1));
    this.bbox = this.registerModule('bbox_pred', new Conv2d(inChannels, 4 * numAnchors, 1));
  }

  forward(features: tf.Tensor4D): { objectness: tf.Tensor2D; deltas: tf.Tensor3D } {
    return tf.tidy(() => {
      const [n, h, w] = features.shape;
      const t = tf.relu(this.conv.call(features));
      const scores = this.cls.call(t) as tf.Tensor4D;
      const logits = this.twoScores
        ? tf.sub(tf.slice(scores, [0, 0, 0, this.numAnchors], [n, h, w, this.numAnchors]), tf.slice(scores, [0, 0, 0, 0], [n, h, w, this.numAnchors]))
        : scores;
      return {
        objectness: tf.reshape(logits, [n, h * w * this.numAnchors]) as tf.Tensor2D,
        deltas: tf.reshape(this.bbox.call(t), [n, h * w * this.numAnchors, 4]) as tf.Tensor3D,
      };
    });
  }
}

export interface ProposalOptions {
  /** Highest-objectness anchors decoded per image before NMS (torchvision: 2000 train / 1000 test). */
  preNmsTopN?: number;
  /** Proposals kept per image after NMS. */
  postNmsTopN?: number;
  /** NMS IoU (default 0.7). */
  nmsThreshold?: number;
  /** Proposals narrower or lower than this in pixels are removed (default 1). */
  minSize?: number;
}

/**
 * Proposal filtering, as torchvision's RegionProposalNetwork.filter_proposals for one level: per image
 * the pre-NMS top-n anchors by objectness, decoded with BoxCoder (1, 1, 1, 1), clipped to the image,
 * small boxes removed, NMS, then the post-NMS top-n. NaN objectness is dropped by NMS.
 * objectness, deltas: host values [N, A_total] and [N, A_total, 4]; anchors [A_total, 4]
 * -> per image, proposals [K, 4] and their objectness logits, best first.
 */
export function filterProposals(
  objectness: Float32Array, deltas: Float32Array, anchors: Float32Array, numImages: number, imageSize: readonly [number, number],
  coder: BoxCoder, options: ProposalOptions = {},
): { boxes: Float32Array; scores: Float32Array }[] {
  const total = anchors.length / 4;
  const out: { boxes: Float32Array; scores: Float32Array }[] = [];
  for (let image = 0; image < numImages; image++) {
    const logits = objectness.subarray(image * total, (image + 1) * total);
    const order = Array.from({ length: total }, (_, i) => i)
      .filter((i) => !Number.isNaN(logits[i]!))
      .sort((a, b) => logits[b]! - logits[a]! || a - b)
      .slice(0, options.preNmsTopN ?? 200);
    if (order.length === 0) {
      out.push({ boxes: new Float32Array(0), scores: new Float32Array(0) });
      continue;
    }
    const pick = (source: Float32Array, offset: number) => Float32Array.from(order.flatMap((i) => Array.from(source.subarray(offset + 4 * i, offset + 4 * i + 4))));
    const decoded = coder.decodeHost(pick(deltas, image * total * 4), pick(anchors, 0));
    const kept = clipAndFilter(decoded, imageSize, options.minSize ?? 1);
    const boxes = Float32Array.from(kept.flatMap((i) => Array.from(decoded.subarray(4 * i, 4 * i + 4))));
    const scores = Float32Array.from(kept, (i) => logits[order[i]!]!);
    const keep = nmsHost(boxes, scores, options.nmsThreshold ?? 0.7).slice(0, options.postNmsTopN ?? 50);
    out.push({
      boxes: Float32Array.from(Array.from(keep).flatMap((i) => Array.from(boxes.subarray(4 * i, 4 * i + 4)))),
      scores: Float32Array.from(keep, (i) => scores[i]!),
    });
  }
  return out;
}

/** RPN training targets of a batch: per anchor of each image, label 1 / 0 / -1 (ignored) and deltas. */
export interface RpnTargets {
  /** [N, A_total]: 1 sampled foreground, 0 sampled background, -1 not in the loss. */
  labels: Float32Array;
  /** [N, A_total, 4]: BoxCoder (1, 1, 1, 1) targets of the sampled foreground, 0 elsewhere. */
  regression: Float32Array;
}

/**
 * torchvision's RPN assignment: Matcher(0.7, 0.3, allowLowQualityMatches) between each image's ground
 * truth and the anchors, then BalancedPositiveNegativeSampler picks the anchors that enter the loss.
 * An image without ground truth gives only background.
 */
export function rpnTargets(anchors: Float32Array, truths: readonly { boxes: Float32Array }[], sampler: BalancedPositiveNegativeSampler, coder: BoxCoder): RpnTargets {
  const total = anchors.length / 4;
  const matcher = new Matcher(0.7, 0.3, true);
  const labels = new Float32Array(truths.length * total).fill(-1);
  const regression = new Float32Array(truths.length * total * 4);
  truths.forEach((truth, image) => {
    const m = truth.boxes.length / 4;
    const matches = matcher.matchHost(iouMatrix(truth.boxes, anchors), m, total);
    const candidate = Int32Array.from(matches, (g) => (g >= 0 ? 1 : g === Matcher.BELOW_LOW_THRESHOLD ? 0 : -1));
    const { positive, negative } = sampler.sampleHost(candidate);
    for (const i of negative) labels[image * total + i] = 0;
    if (positive.length === 0) return;
    const gt: number[] = [], src: number[] = [];
    for (const i of positive) {
      labels[image * total + i] = 1;
      gt.push(...truth.boxes.subarray(4 * matches[i]!, 4 * matches[i]! + 4));
      src.push(...anchors.subarray(4 * i, 4 * i + 4));
    }
    const encoded = tf.tidy(() => coder.encode(tf.tensor2d(gt, [positive.length, 4]), tf.tensor2d(src, [positive.length, 4])).dataSync());
    positive.forEach((i, p) => regression.set(encoded.subarray(4 * p, 4 * p + 4), (image * total + i) * 4));
  });
  return { labels, regression };
}

/**
 * The RPN's loss, as torchvision's: binary cross entropy of the sampled anchors' objectness plus smooth L1
 * (beta 1/9) of the foreground's deltas, both divided by the number of sampled anchors.
 * objectness [N, A_total] logits, deltas [N, A_total, 4].
 */
export function rpnLoss(objectness: tf.Tensor2D, deltas: tf.Tensor3D, targets: RpnTargets): tf.Scalar {
  return tf.tidy(() => {
    const shape = objectness.shape;
    let sampled = 0;
    const weight = new Float32Array(targets.labels.length);
    const positive = new Float32Array(targets.labels.length * 4);
    targets.labels.forEach((l, i) => {
      if (l >= 0) {
        weight[i] = 1;
        sampled++;
      }
      if (l === 1) positive.fill(1, 4 * i, 4 * i + 4);
    });
    if (sampled === 0) return tf.mul(tf.sum(objectness), 0) as tf.Scalar;
    const z = tf.tensor2d(targets.labels.map((l) => (l === 1 ? 1 : 0)), shape);
    // Binary cross entropy with logits, in the stable form max(x, 0) - x z + log(1 + exp(-|x|)).
    const bce = tf.add(tf.sub(tf.relu(objectness), tf.mul(objectness, z)), tf.log1p(tf.exp(tf.neg(tf.abs(objectness)))));
    const classification = tf.div(tf.sum(tf.mul(bce, tf.tensor2d(weight, shape))), sampled);
    const masked = tf.mul(deltas, tf.tensor3d(positive, deltas.shape));
    const box = tf.mul(smoothL1Loss(masked, tf.tensor3d(targets.regression, deltas.shape), 1 / 9), positive.length / sampled);
    return tf.add(classification, box) as tf.Scalar;
  });
}

