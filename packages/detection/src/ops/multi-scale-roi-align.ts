import * as tf from '@tensorflow/tfjs-core';
import { gatherRows } from './roi-common.js';
import { roiAlign } from './roi-align.js';

const f32 = Math.fround;

/**
 * torchvision's LevelMapper (FPN paper, eq. 1): the pyramid level of each box,
 * floor(k0 + log2(sqrt(area) / s0) + eps) clamped to [kMin, kMax], returned as an offset from kMin.
 * Computed in float32 as torchvision does. boxes: [K, 4] (x1, y1, x2, y2) row-major -> [K] level indices.
 */
export function mapLevels(boxes: ArrayLike<number>, kMin: number, kMax: number, canonicalScale = 224, canonicalLevel = 4, eps = 1e-6): Int32Array {
  const k = boxes.length / 4;
  const out = new Int32Array(k);
  const s0 = f32(canonicalScale), e = f32(eps);
  for (let i = 0; i < k; i++) {
    const area = f32(f32(boxes[4 * i + 2]! - boxes[4 * i]!) * f32(boxes[4 * i + 3]! - boxes[4 * i + 1]!));
    const level = Math.floor(f32(f32(canonicalLevel + f32(Math.log2(f32(f32(Math.sqrt(area)) / s0)))) + e));
    out[i] = Math.min(Math.max(level, kMin), kMax) - kMin;
  }
  return out;
}

/** torchvision's _infer_scale: the power of two nearest to feature size / image size, along the height. */
export function inferScale(featureHeight: number, imageHeight: number): number {
  return 2 ** Math.round(Math.log2(f32(featureHeight / imageHeight)));
}

export interface MultiScaleRoIAlignOptions {
  /** Bilinear samples per bin and axis (default 2, as Faster R-CNN's box pooler). */
  samplingRatio?: number;
  /** LevelMapper's s0 and k0 (defaults 224 and 4). */
  canonicalScale?: number;
  canonicalLevel?: number;
}

/**
 * torchvision.ops.MultiScaleRoIAlign: each RoI is pooled by RoI Align from the one pyramid level the
 * LevelMapper gives it, at that level's scale (inferred from the feature and image sizes, 1/4 .. 1/32 for
 * an FPN). features: finest first, [N, H_l, W_l, C]; rois: [K, 5] (batch index, x1, y1, x2, y2) host values
 * in pixels of the resized images; imageSizes: [height, width] per image -> [K, out, out, C], in RoI order.
 */
export function multiScaleRoiAlign(
  features: readonly tf.Tensor4D[], rois: Float32Array, imageSizes: readonly (readonly [number, number])[], outputSize: number,
  options: MultiScaleRoIAlignOptions = {},
): tf.Tensor4D {
  const k = rois.length / 5;
  const channels = features[0]!.shape[3];
  if (k === 0) return tf.zeros([0, outputSize, outputSize, channels]);
  // torchvision infers the scales from the largest image of the batch.
  const maxHeight = Math.max(...imageSizes.map(([h]) => h));
  const scales = features.map((f) => inferScale(f.shape[1], maxHeight));
  const kMin = Math.trunc(-Math.log2(scales[0]!)), kMax = Math.trunc(-Math.log2(scales[scales.length - 1]!));
  const boxes = new Float32Array(4 * k);
  for (let i = 0; i < k; i++) boxes.set(rois.subarray(5 * i + 1, 5 * i + 5), 4 * i);
  const levels = features.length === 1 ? new Int32Array(k) : mapLevels(boxes, kMin, kMax, options.canonicalScale, options.canonicalLevel);
  return tf.tidy(() => {
    const pooled: tf.Tensor4D[] = [];
    const order: number[] = [];
    features.forEach((feature, level) => {
      const members: number[] = [];
      for (let i = 0; i < k; i++) if (levels[i] === level) members.push(i);
      if (members.length === 0) return;
      order.push(...members);
      // roiAlign gathers each RoI's window of cells in chunks of bounded size, so one call per level.
      const levelRois = new Float32Array(5 * members.length);
      members.forEach((i, j) => levelRois.set(rois.subarray(5 * i, 5 * i + 5), 5 * j));
      pooled.push(roiAlign(feature, tf.tensor2d(levelRois, [members.length, 5]), outputSize, { spatialScale: scales[level]!, samplingRatio: options.samplingRatio ?? 2 }));
    });
    if (pooled.length === 1) return pooled[0]!;
    const inverse = new Int32Array(k);
    order.forEach((r, i) => (inverse[r] = i));
    const all = tf.reshape(tf.concat(pooled), [k, -1]) as tf.Tensor2D;
    return tf.reshape(gatherRows(all, inverse), [k, outputSize, outputSize, channels]) as tf.Tensor4D;
  });
}
