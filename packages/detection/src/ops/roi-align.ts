import * as tf from '@tensorflow/tfjs-core';
import { type OutputSize, gatherRows, outputSize2, readRois } from './roi-common.js';

const f32 = Math.fround;

export interface RoiAlignOptions {
  /** Multiplies the RoI coordinates to reach feature-map coordinates (1 / stride); default 1. */
  spatialScale?: number;
  /** Bilinear samples per bin along each axis; <= 0 (default -1) uses ceil(roi size / output size), as torchvision. */
  samplingRatio?: number;
  /** Shift the RoI by -0.5 cell so that pixel centres line up (torchvision's aligned=True); default false. */
  aligned?: boolean;
}

/**
 * One RoI's sampling along one axis as a dense [bins, size] matrix: entry (p, i) is the summed bilinear
 * weight that the samples of bin p put on cell i, divided by the number of samples along this axis.
 * Bilinear interpolation is separable, and so are torchvision's boundary rules (a sample beyond
 * [-1, size] contributes nothing; coordinates below 0 clamp to 0; from size - 1 on, the sample takes the
 * last cell), so the 2-D average over a bin is the product of the two axes' matrices.
 */
function axisWeights(out: Float32Array, offset: number, start: number, binSize: number, grid: number, bins: number, size: number): void {
  for (let p = 0; p < bins; p++) {
    const row = offset + p * size;
    for (let s = 0; s < grid; s++) {
      // torchvision's float32 expression: start + p * bin + (s + .5) * bin / grid
      let v = f32(f32(start + f32(p * binSize)) + f32(f32((s + 0.5) * binSize) / grid));
      if (v < -1 || v > size) continue;
      if (v <= 0) v = 0;
      let low = Math.trunc(v);
      let high: number;
      if (low >= size - 1) {
        high = low = size - 1;
        v = low;
      } else {
        high = low + 1;
      }
      const l = f32(v - low);
      out[row + low] += f32(1 - l) / grid;
      out[row + high] += l / grid;
    }
  }
}

/**
 * RoI Align (Mask R-CNN), torchvision.ops.roi_align exactly: features: [N, H, W, C], rois: [K, 5]
 * (batch_index, x1, y1, x2, y2) in input coordinates -> [K, outH, outW, C], each output cell the average
 * of samplingRatio^2 bilinear samples (adaptive: ceil(roi / out) per axis when samplingRatio <= 0).
 * Without `aligned`, RoIs smaller than one cell are widened to one cell, as torchvision does.
 *
 * Sample positions and weights are computed on the host in torchvision's float32 arithmetic; the pooling
 * itself is two matrix products per image (rows, then columns) on the backend, so the result is
 * differentiable with respect to `features` (tf.grad works through it) and costs K * outH * W * C memory
 * in between. The RoIs are read synchronously and are not differentiated (as in torchvision).
 */
export function roiAlign(features: tf.Tensor4D, rois: tf.Tensor2D, outputSize: OutputSize, options: RoiAlignOptions = {}): tf.Tensor4D {
  const { spatialScale = 1, samplingRatio = -1, aligned = false } = options;
  const [outH, outW] = outputSize2(outputSize);
  const { data, batch } = readRois(features, rois, 'roiAlign');
  const [n, height, width, channels] = features.shape;
  const k = rois.shape[0];
  if (k === 0) return tf.zeros([0, outH, outW, channels]);

  const scale = f32(spatialScale);
  const offset = aligned ? 0.5 : 0;
  const rowWeights = new Float32Array(k * outH * height);
  const colWeights = new Float32Array(k * outW * width);
  for (let r = 0; r < k; r++) {
    const [x1, y1, x2, y2] = [1, 2, 3, 4].map((c) => f32(f32(data[5 * r + c]! * scale) - offset)) as [number, number, number, number];
    let roiW = f32(x2 - x1);
    let roiH = f32(y2 - y1);
    if (!aligned) {
      roiW = Math.max(roiW, 1);
      roiH = Math.max(roiH, 1);
    }
    const binH = f32(roiH / outH);
    const binW = f32(roiW / outW);
    const gridH = samplingRatio > 0 ? samplingRatio : Math.ceil(binH);
    const gridW = samplingRatio > 0 ? samplingRatio : Math.ceil(binW);
    // An empty sampling grid (an inverted RoI with aligned=true) outputs zeros.
    if (gridH <= 0 || gridW <= 0) continue;
    axisWeights(rowWeights, r * outH * height, y1, binH, gridH, outH, height);
    axisWeights(colWeights, r * outW * width, x1, binW, gridW, outW, width);
  }

  return tf.tidy(() => {
    // Rows: for each image, [K_b * outH, H] x [H, W * C].
    const perImage: tf.Tensor[] = [];
    const order: number[] = [];
    const rowMatrix = tf.tensor3d(rowWeights, [k, outH, height]);
    for (let b = 0; b < n; b++) {
      const members: number[] = [];
      for (let r = 0; r < k; r++) if (batch[r] === b) members.push(r);
      if (members.length === 0) continue;
      order.push(...members);
      const weights = tf.reshape(tf.gather(rowMatrix, members), [members.length * outH, height]);
      const image = tf.reshape(tf.slice(features, [b, 0, 0, 0], [1, height, width, channels]), [height, width * channels]);
      perImage.push(tf.reshape(tf.matMul(weights, image), [members.length, outH, width, channels]));
    }
    const inverse = new Int32Array(k);
    order.forEach((r, i) => (inverse[r] = i));
    const rows = perImage.length === 1
      ? perImage[0]!
      : tf.reshape(gatherRows(tf.reshape(tf.concat(perImage), [k, -1]), inverse), [k, outH, width, channels]);
    // Columns: per RoI, [outW, W] x [W, outH * C].
    const byColumn = tf.reshape(tf.transpose(rows, [0, 2, 1, 3]), [k, width, outH * channels]);
    const pooled = tf.matMul(tf.tensor3d(colWeights, [k, outW, width]), byColumn);
    return tf.transpose(tf.reshape(pooled, [k, outW, outH, channels]), [0, 2, 1, 3]) as tf.Tensor4D;
  });
}
