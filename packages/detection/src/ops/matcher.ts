import * as tf from '@tensorflow/tfjs-core';
import { seededRandom } from '@convkit/core';

/**
 * Assigns each prediction (anchor or proposal) to a ground-truth box, as torchvision's det_utils.Matcher.
 * For a quality matrix [M ground truths, N predictions] (usually IoU), prediction n gets
 * argmax_m quality[m, n] (the first on ties) when that maximum is >= highThreshold,
 * BELOW_LOW_THRESHOLD (-1) when it is < lowThreshold, and BETWEEN_THRESHOLDS (-2) otherwise.
 * With allowLowQualityMatches, every prediction that reaches some ground truth's highest quality
 * keeps its argmax even below the thresholds (Faster R-CNN's RPN), so that each ground truth gets a match.
 *
 * NaN qualities follow torch.max: a NaN wins the column and, neither below nor between the thresholds,
 * stays a match. Where torchvision raises on an empty matrix, we define the result: no ground truth makes
 * every prediction BELOW_LOW_THRESHOLD (background, as torchvision's heads do by hand), no predictions
 * give an empty result.
 */
export class Matcher {
  static readonly BELOW_LOW_THRESHOLD = -1;
  static readonly BETWEEN_THRESHOLDS = -2;

  constructor(
    readonly highThreshold: number,
    readonly lowThreshold: number,
    readonly allowLowQualityMatches = false,
  ) {
    if (!(lowThreshold <= highThreshold)) {
      throw new Error(`Matcher needs lowThreshold <= highThreshold, got ${lowThreshold} > ${highThreshold}`);
    }
  }

  /** quality: M x N row-major -> Int32Array [N] of matched ground-truth indices or -1 / -2. */
  matchHost(quality: ArrayLike<number>, m: number, n: number): Int32Array {
    if (quality.length !== m * n) throw new Error(`Matcher: quality has ${quality.length} values, not ${m} x ${n}`);
    const matches = new Int32Array(n);
    if (m === 0) return matches.fill(Matcher.BELOW_LOW_THRESHOLD);
    const best = new Float32Array(n);
    for (let j = 0; j < n; j++) {
      let value = quality[j]!;
      let index = 0;
      for (let i = 1; i < m && !Number.isNaN(value); i++) {
        const v = quality[i * n + j]!;
        if (v > value || Number.isNaN(v)) {
          value = v;
          index = i;
        }
      }
      best[j] = value;
      matches[j] = index;
    }
    const allMatches = matches.slice();
    // torch compares a float32 matrix with the thresholds rounded to float32: 0.7f >= 0.7f.
    const low = Math.fround(this.lowThreshold);
    const high = Math.fround(this.highThreshold);
    for (let j = 0; j < n; j++) {
      if (best[j]! < low) matches[j] = Matcher.BELOW_LOW_THRESHOLD;
      else if (best[j]! < high) matches[j] = Matcher.BETWEEN_THRESHOLDS;
    }
    if (this.allowLowQualityMatches) {
      for (let i = 0; i < m; i++) {
        let highest = -Infinity;
        for (let j = 0; j < n && !Number.isNaN(highest); j++) {
          const v = quality[i * n + j]!;
          if (v > highest || Number.isNaN(v)) highest = v;
        }
        for (let j = 0; j < n; j++) if (quality[i * n + j] === highest) matches[j] = allMatches[j]!;
      }
    }
    return matches;
  }

  /** quality: [M, N] -> int32 [N]. Async: the matching runs on host data. */
  async match(quality: tf.Tensor2D): Promise<tf.Tensor1D> {
    const [m, n] = quality.shape;
    return tf.tensor1d(this.matchHost(await quality.data(), m, n), 'int32');
  }
}

/**
 * Picks the training examples of one image, as torchvision's det_utils.BalancedPositiveNegativeSampler:
 * up to floor(batchSizePerImage * positiveFraction) positives (labels >= 1), then negatives (label 0) to
 * fill the batch; ignored predictions (label -1) are never picked. Each choice is uniform without
 * replacement. torch's generator cannot be reproduced, so the counts match torchvision and the choice
 * itself comes from a seeded generator whose state advances from call to call.
 */
export class BalancedPositiveNegativeSampler {
  readonly #random: () => number;

  constructor(
    readonly batchSizePerImage: number,
    readonly positiveFraction: number,
    seed = 0,
  ) {
    this.#random = seededRandom(seed);
  }

  /** The first `count` entries of a uniformly random permutation of `items` (Fisher-Yates). */
  #choose(items: number[], count: number): Int32Array {
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(this.#random() * (items.length - i));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return Int32Array.from(items.slice(0, count)).sort();
  }

  /** labels: per prediction, >= 1 positive, 0 negative, -1 ignored -> chosen indices, ascending. */
  sampleHost(labels: ArrayLike<number>): { positive: Int32Array; negative: Int32Array } {
    const positives: number[] = [];
    const negatives: number[] = [];
    for (let i = 0; i < labels.length; i++) {
      if (labels[i]! >= 1) positives.push(i);
      else if (labels[i] === 0) negatives.push(i);
    }
    const numPos = Math.min(positives.length, Math.floor(this.batchSizePerImage * this.positiveFraction));
    const numNeg = Math.min(negatives.length, this.batchSizePerImage - numPos);
    return { positive: this.#choose(positives, numPos), negative: this.#choose(negatives, numNeg) };
  }

  /**
   * labels: int32 [N] -> bool masks [N] of the chosen positives and negatives (torchvision returns uint8
   * masks). Async: the choice runs on host data.
   */
  async sample(labels: tf.Tensor1D): Promise<{ positive: tf.Tensor1D; negative: tf.Tensor1D }> {
    const { positive, negative } = this.sampleHost(await labels.data());
    const mask = (chosen: Int32Array) => {
      const m = new Uint8Array(labels.shape[0]);
      for (const i of chosen) m[i] = 1;
      return tf.tensor1d(m, 'bool');
    };
    return { positive: mask(positive), negative: mask(negative) };
  }
}
