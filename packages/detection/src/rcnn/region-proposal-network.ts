import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Module, ReLU, Sequential, isMetaBackend, normal } from '@convkit/core';
import { AnchorGenerator } from '../ops/anchors.js';
import { BoxCoder } from '../ops/box-coder.js';
import { batchedNmsHost } from '../ops/nms.js';
import { clipAndFilter } from './host-boxes.js';

const f32 = Math.fround;

/**
 * torchvision's RPNHead as Faster R-CNN with an FPN uses it: one 3x3 conv + ReLU (`conv.0.0`, a
 * Conv2dNormActivation without norm), then 1x1 convs to A objectness logits (`cls_logits`) and 4 A
 * deltas (`bbox_pred`), shared by every pyramid level. Weights start normal (std 0.01), biases zero.
 * levels: [N, H_l, W_l, C] -> per level objectness [N, H_l W_l A] and deltas [N, H_l W_l A, 4], in
 * AnchorGenerator's order (cells row-major, A per cell).
 */
export class PyramidRPNHead extends Module<tf.Tensor4D[], { objectness: tf.Tensor2D; deltas: tf.Tensor3D }[]> {
  readonly conv: Sequential;
  readonly clsLogits: Conv2d;
  readonly bboxPred: Conv2d;

  constructor(inChannels: number, readonly numAnchors: number, options: { initWeights?: boolean } = {}) {
    super();
    this.conv = this.registerModule('conv', new Sequential(new Sequential(new Conv2d(inChannels, inChannels, 3, { padding: 1 }), new ReLU())));
    this.clsLogits = this.registerModule('cls_logits', new Conv2d(inChannels, numAnchors, 1));
    this.bboxPred = this.registerModule('bbox_pred', new Conv2d(inChannels, 4 * numAnchors, 1));
    if (options.initWeights ?? true) {
      for (const [, m] of this.namedModules()) {
        if (!(m instanceof Conv2d)) continue;
        tf.tidy(() => {
          m.weight.assign(normal(m.weight.shape, 0.01));
          m.bias?.assign(tf.zerosLike(m.bias));
        });
      }
    }
  }

  forward(levels: tf.Tensor4D[]): { objectness: tf.Tensor2D; deltas: tf.Tensor3D }[] {
    return tf.tidy(() => levels.map((x) => {
      const [n, h, w] = x.shape;
      const t = this.conv.call(x) as tf.Tensor4D;
      return {
        objectness: tf.reshape(this.clsLogits.call(t), [n, h * w * this.numAnchors]) as tf.Tensor2D,
        deltas: tf.reshape(this.bboxPred.call(t), [n, h * w * this.numAnchors, 4]) as tf.Tensor3D,
      };
    }));
  }
}

export interface PyramidProposalOptions {
  /** Anchors kept per level and image by objectness before NMS (torchvision: 2000 training, 1000 testing). */
  preNmsTopN?: number;
  /** Proposals kept per image after NMS (torchvision: 2000 training, 1000 testing). */
  postNmsTopN?: number;
  /** NMS IoU, within each level (default 0.7). */
  nmsThreshold?: number;
  /** Proposals narrower or lower than this in pixels are removed (default 1e-3). */
  minSize?: number;
  /** Proposals with sigmoid(objectness) below this are removed (default 0). */
  scoreThreshold?: number;
}

/**
 * torchvision's RegionProposalNetwork.filter_proposals over pyramid levels, on host values: per image and
 * level the top-n anchors by objectness, decoded with BoxCoder (1, 1, 1, 1), clipped to the image, small and
 * low-scoring boxes removed, NMS within each level on sigmoid scores (float32), then the post-NMS top-n over
 * all levels, best first. objectness: per level [N, A_l]; deltas: per level [N, A_l, 4]; anchors: per level
 * [A_l, 4]; imageSizes: [height, width] per image -> per image proposals [K, 4] and their sigmoid scores.
 */
export function filterPyramidProposals(
  objectness: readonly Float32Array[], deltas: readonly Float32Array[], anchors: readonly Float32Array[],
  imageSizes: readonly (readonly [number, number])[], coder: BoxCoder, options: PyramidProposalOptions = {},
): { boxes: Float32Array; scores: Float32Array }[] {
  const preNmsTopN = options.preNmsTopN ?? 1000;
  return imageSizes.map((imageSize, image) => {
    const boxes: number[] = [], scores: number[] = [], levels: number[] = [];
    anchors.forEach((levelAnchors, level) => {
      const total = levelAnchors.length / 4;
      const logits = objectness[level]!.subarray(image * total, (image + 1) * total);
      // torch.topk, descending; NaN logits are left out (torch would rank them first).
      const order = Array.from({ length: total }, (_, i) => i)
        .filter((i) => !Number.isNaN(logits[i]!))
        .sort((a, b) => logits[b]! - logits[a]! || a - b)
        .slice(0, preNmsTopN);
      const pick = (source: Float32Array, offset: number) => {
        const out = new Float32Array(4 * order.length);
        order.forEach((i, j) => out.set(source.subarray(offset + 4 * i, offset + 4 * i + 4), 4 * j));
        return out;
      };
      const decoded = coder.decodeHost(pick(deltas[level]!, image * total * 4), pick(levelAnchors, 0));
      for (const j of clipAndFilter(decoded, imageSize, options.minSize ?? 1e-3)) {
        const score = f32(1 / f32(1 + f32(Math.exp(-logits[order[j]!]!))));
        if (!(score >= (options.scoreThreshold ?? 0))) continue;
        boxes.push(...decoded.subarray(4 * j, 4 * j + 4));
        scores.push(score);
        levels.push(level);
      }
    });
    const keep = batchedNmsHost(boxes, scores, levels, options.nmsThreshold ?? 0.7).slice(0, options.postNmsTopN ?? 1000);
    const out = { boxes: new Float32Array(4 * keep.length), scores: new Float32Array(keep.length) };
    keep.forEach((i, j) => {
      out.boxes.set(boxes.slice(4 * i, 4 * i + 4), 4 * j);
      out.scores[j] = scores[i]!;
    });
    return out;
  });
}

/** The RPN's outputs for a batch: proposals per image, and the head's raw outputs for the loss. */
export interface RegionProposals {
  proposals: { boxes: Float32Array; scores: Float32Array }[];
  /** Per level [A_l, 4] anchors, the same for every image of the batch. */
  anchors: Float32Array[];
  head: { objectness: tf.Tensor2D; deltas: tf.Tensor3D }[];
}

/**
 * torchvision's RegionProposalNetwork: the shared head over every level, anchors for the padded batch, and
 * proposal filtering with the training or testing top-n. Holds no state beyond the head's weights.
 */
export class RegionProposalNetwork extends Module<tf.Tensor4D[], { objectness: tf.Tensor2D; deltas: tf.Tensor3D }[]> {
  readonly head: PyramidRPNHead;
  readonly coder = new BoxCoder([1, 1, 1, 1]);

  constructor(
    readonly anchorGenerator: AnchorGenerator, inChannels: number,
    readonly trainProposals: PyramidProposalOptions, readonly testProposals: PyramidProposalOptions, options: { initWeights?: boolean } = {},
  ) {
    super();
    const perLocation = anchorGenerator.numAnchorsPerLocation();
    if (perLocation.some((a) => a !== perLocation[0])) throw new Error(`the shared RPN head needs the same number of anchors on every level, got ${perLocation.join(', ')}`);
    this.head = this.registerModule('head', new PyramidRPNHead(inChannels, perLocation[0]!, options));
  }

  forward(levels: tf.Tensor4D[]): { objectness: tf.Tensor2D; deltas: tf.Tensor3D }[] {
    return this.head.call(levels);
  }

  /** Anchors per level for a padded batch [height, width] and its feature maps. */
  anchors(batchSize: readonly [number, number], levels: readonly tf.Tensor4D[]): Float32Array[] {
    const all = this.anchorGenerator.generateHost(batchSize, levels.map((l) => [l.shape[1], l.shape[2]] as [number, number]));
    const out: Float32Array[] = [];
    let offset = 0;
    levels.forEach((l, i) => {
      const n = l.shape[1] * l.shape[2] * this.anchorGenerator.cellAnchors[i]!.length;
      out.push(all.subarray(offset, offset + n));
      offset += n;
    });
    return out;
  }

  /**
   * The pyramid of a padded batch of size batchSize [height, width] -> proposals per image in pixels of
   * its resized image (imageSizes), with the training or testing options by mode. The caller owns `head`.
   */
  async propose(levels: tf.Tensor4D[], batchSize: readonly [number, number], imageSizes: readonly (readonly [number, number])[]): Promise<RegionProposals> {
    const head = this.call(levels);
    const objectness = await Promise.all(head.map((h) => h.objectness.data() as Promise<Float32Array>));
    const deltas = await Promise.all(head.map((h) => h.deltas.data() as Promise<Float32Array>));
    return this.#filter(head, objectness, deltas, batchSize, levels, imageSizes);
  }

  /** `propose` reading the head's outputs synchronously. */
  proposeSync(levels: tf.Tensor4D[], batchSize: readonly [number, number], imageSizes: readonly (readonly [number, number])[]): RegionProposals {
    const head = this.call(levels);
    // On the meta backend (a summary, see onMetaBackend) scores have no values: zero scores and deltas
    // propose the anchors themselves, as many as an image of this size gives.
    const read = (t: tf.Tensor) => (isMetaBackend() ? new Float32Array(t.size) : t.dataSync() as Float32Array);
    return this.#filter(head, head.map((h) => read(h.objectness)), head.map((h) => read(h.deltas)), batchSize, levels, imageSizes);
  }

  #filter(
    head: RegionProposals['head'], objectness: Float32Array[], deltas: Float32Array[], batchSize: readonly [number, number], levels: tf.Tensor4D[],
    imageSizes: readonly (readonly [number, number])[],
  ): RegionProposals {
    const anchors = this.anchors(batchSize, levels);
    const proposals = filterPyramidProposals(objectness, deltas, anchors, imageSizes, this.coder, this.training ? this.trainProposals : this.testProposals);
    return { proposals, anchors, head };
  }
}
