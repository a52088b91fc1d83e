import * as tf from '@tensorflow/tfjs-core';
import { type OutputSize, outputSize2, readRois, weightedRowSum } from './roi-common.js';

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

/** Floats a chunk's gathered cells may hold at once: [RoIs, outH, outW, taps, C], 64 MiB. */
const TAPS_BUDGET = 2 ** 24;

/**
 * One RoI's taps along one axis: for each bin, the cells with a nonzero weight in its row of the
 * [bins, size] weight block and those weights, padded with weight 0 on cell 0 to `taps` entries.
 */
function axisTaps(weights: Float32Array, offset: number, bins: number, size: number, taps: number, cells: Int32Array, values: Float32Array, at: number): void {
  for (let p = 0; p < bins; p++) {
    let t = 0;
    const row = offset + p * size;
    for (let i = 0; i < size; i++) {
      if (weights[row + i] === 0) continue;
      cells[at + p * taps + t] = i;
      values[at + p * taps + t] = weights[row + i]!;
      t++;
    }
  }
}

/** The most cells with a nonzero weight in any bin's row of a [bins, size] weight block (at least 1). */
function mostTaps(weights: Float32Array, offset: number, bins: number, size: number): number {
  let most = 1;
  for (let p = 0; p < bins; p++) {
    let count = 0;
    for (let i = 0; i < size; i++) if (weights[offset + p * size + i] !== 0) count++;
    most = Math.max(most, count);
  }
  return most;
}

/**
 * RoI Align (Mask R-CNN), torchvision.ops.roi_align exactly: features: [N, H, W, C], rois: [K, 5]
 * (batch_index, x1, y1, x2, y2) in input coordinates -> [K, outH, outW, C], each output cell the average
 * of samplingRatio^2 bilinear samples (adaptive: ceil(roi / out) per axis when samplingRatio <= 0).
 * Without `aligned`, RoIs smaller than one cell are widened to one cell, as torchvision does.
 *
 * Sample positions and weights are computed on the host in torchvision's float32 arithmetic; bilinear
 * interpolation is separable, so each output cell is a weighted sum over the cells its samples touch
 * (with torchvision's default of 2 samples per axis, at most 4 rows times 4 columns). The pooling on the
 * backend is a gather of those cells, a multiply by their weights and a sum (`weightedRowSum`):
 * differentiable with respect to `features` (tf.grad works through it), holding nothing but the indices
 * and weights for the backward pass, K * outH * outW * taps * C work whatever the feature map's
 * size, and no batched matrix products (which tfjs-backend-wasm runs with a plain loop per batch). The
 * RoIs are read synchronously and are not differentiated (as in torchvision).
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

  // Each RoI's taps per bin along each axis. A chunk gathers its largest count for all its RoIs: with a
  // fixed sampling ratio (torchvision's heads use 2) every RoI has at most 2 * ratio per axis anyway.
  const rowTaps = Array.from({ length: k }, (_, r) => mostTaps(rowWeights, r * outH * height, outH, height));
  const colTaps = Array.from({ length: k }, (_, r) => mostTaps(colWeights, r * outW * width, outW, width));

  return tf.tidy(() => {
    const cells = tf.reshape(features, [n * height * width, channels]) as tf.Tensor2D;
    const pooled: tf.Tensor[] = [];
    for (let first = 0; first < k;) {
      // The chunk: as many RoIs as keep the gathered cells within the budget; at least one.
      let tapsH = 0;
      let tapsW = 0;
      let last = first;
      while (last < k) {
        const h = Math.max(tapsH, rowTaps[last]!);
        const w = Math.max(tapsW, colTaps[last]!);
        if (last > first && (last - first + 1) * outH * outW * h * w * channels > TAPS_BUDGET) break;
        tapsH = h;
        tapsW = w;
        last++;
      }
      const m = last - first;
      const rowCells = new Int32Array(m * outH * tapsH);
      const rowValues = new Float32Array(m * outH * tapsH);
      const colCells = new Int32Array(m * outW * tapsW);
      const colValues = new Float32Array(m * outW * tapsW);
      for (let j = 0; j < m; j++) {
        const r = first + j;
        axisTaps(rowWeights, r * outH * height, outH, height, tapsH, rowCells, rowValues, j * outH * tapsH);
        axisTaps(colWeights, r * outW * width, outW, width, tapsW, colCells, colValues, j * outW * tapsW);
      }
      // [m, outH, outW, tapsH, tapsW]: the cell index in `cells` and the weight of each tap.
      const taps = tapsH * tapsW;
      const indices = new Int32Array(m * outH * outW * taps);
      const weights = new Float32Array(m * outH * outW * taps);
      for (let j = 0; j < m; j++) {
        const imageBase = batch[first + j]! * height;
        for (let p = 0; p < outH; p++) {
          for (let q = 0; q < outW; q++) {
            const cell = ((j * outH + p) * outW + q) * taps;
            for (let a = 0; a < tapsH; a++) {
              const row = (imageBase + rowCells[(j * outH + p) * tapsH + a]!) * width;
              const rowWeight = rowValues[(j * outH + p) * tapsH + a]!;
              for (let c = 0; c < tapsW; c++) {
                indices[cell + a * tapsW + c] = row + colCells[(j * outW + q) * tapsW + c]!;
                weights[cell + a * tapsW + c] = rowWeight * colValues[(j * outW + q) * tapsW + c]!;
              }
            }
          }
        }
      }
      pooled.push(tf.reshape(weightedRowSum(cells, indices, weights, taps), [m, outH, outW, channels]));
      first = last;
    }
    return (pooled.length === 1 ? pooled[0]! : tf.concat(pooled)) as tf.Tensor4D;
  });
}
