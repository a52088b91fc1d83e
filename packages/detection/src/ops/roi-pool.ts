import * as tf from '@tensorflow/tfjs-core';
import { type OutputSize, gatherRows, outputSize2, readRois } from './roi-common.js';

const f32 = Math.fround;
/** C's round(): half-way cases away from zero (Math.round rounds them up). */
const roundHalfAway = (x: number) => Math.sign(x) * Math.round(Math.abs(x));

/** Half-open ranges [start, end) of one RoI's output bins along one axis, clipped to [0, size]. */
function binRanges(start: number, end: number, bins: number, size: number): Int32Array {
  const length = Math.max(end - start + 1, 1); // malformed RoIs become 1 x 1, as in torchvision
  const binSize = f32(length / bins);
  const ranges = new Int32Array(2 * bins);
  for (let p = 0; p < bins; p++) {
    ranges[2 * p] = Math.min(Math.max(Math.floor(f32(p * binSize)) + start, 0), size);
    ranges[2 * p + 1] = Math.min(Math.max(Math.ceil(f32((p + 1) * binSize)) + start, 0), size);
  }
  return ranges;
}

/**
 * RoI max pooling (Fast R-CNN), torchvision.ops.roi_pool exactly.
 * features: [N, H, W, C], rois: [K, 5] (batch_index, x1, y1, x2, y2) in input coordinates
 * -> [K, outH, outW, C].
 *
 * Each RoI corner is scaled by `spatialScale` and rounded (half away from zero, C's round); the RoI spans
 * max(end - start + 1, 1) cells; bin p covers [floor(p * s), ceil((p + 1) * s)) with s = span / bins,
 * offset by the start and clipped to the map. A bin left empty by clipping outputs 0.
 *
 * Built from gathers and max reductions (over each bin's columns, then its rows), so it is differentiable with
 * respect to `features`; where a bin holds several equal maxima, tfjs's max gradient feeds each of them,
 * torchvision's only the first. The RoIs are read synchronously (see `readRois`).
 */
export function roiPool(features: tf.Tensor4D, rois: tf.Tensor2D, outputSize: OutputSize, spatialScale = 1): tf.Tensor4D {
  const [outH, outW] = outputSize2(outputSize);
  const { data, batch } = readRois(features, rois, 'roiPool');
  const [, height, width, channels] = features.shape;
  const k = rois.shape[0];
  if (k === 0) return tf.zeros([0, outH, outW, channels]);
  const scale = f32(spatialScale);

  const rowRanges: Int32Array[] = [];
  const colRanges: Int32Array[] = [];
  let rowSpan = 1, binW = 1, binH = 1;
  for (let r = 0; r < k; r++) {
    const [x1, y1, x2, y2] = [1, 2, 3, 4].map((c) => roundHalfAway(f32(data[5 * r + c]! * scale)));
    const rows = binRanges(y1!, y2!, outH, height);
    const cols = binRanges(x1!, x2!, outW, width);
    rowRanges.push(rows);
    colRanges.push(cols);
    rowSpan = Math.max(rowSpan, rows[2 * outH - 1]! - rows[0]!);
    for (let p = 0; p < outH; p++) binH = Math.max(binH, rows[2 * p + 1]! - rows[2 * p]!);
    for (let p = 0; p < outW; p++) binW = Math.max(binW, cols[2 * p + 1]! - cols[2 * p]!);
  }

  // Stage 1: for every RoI, every row it covers and every column bin, the max over the bin's columns.
  // Index `sentinel` is an extra row of -Infinity that pads bins narrower than the widest one.
  const sentinel = features.shape[0] * height * width;
  const colIndex = new Int32Array(k * rowSpan * outW * binW).fill(sentinel);
  // Stage 2: for every RoI and output cell, the max over the bin's rows of the stage 1 results.
  const sentinel2 = k * rowSpan * outW;
  const rowIndex = new Int32Array(k * outH * binH * outW).fill(sentinel2);
  const empty = new Float32Array(k * outH * outW);
  for (let r = 0; r < k; r++) {
    const rows = rowRanges[r]!, cols = colRanges[r]!;
    const top = rows[0]!;
    for (let y = 0; y < rowSpan && top + y < rows[2 * outH - 1]!; y++) {
      for (let pw = 0; pw < outW; pw++) {
        const base = ((r * rowSpan + y) * outW + pw) * binW;
        for (let x = cols[2 * pw]!, j = 0; x < cols[2 * pw + 1]!; x++, j++) {
          colIndex[base + j] = (batch[r]! * height + top + y) * width + x;
        }
      }
    }
    for (let ph = 0; ph < outH; ph++) {
      for (let pw = 0; pw < outW; pw++) {
        if (rows[2 * ph + 1]! <= rows[2 * ph]! || cols[2 * pw + 1]! <= cols[2 * pw]!) empty[(r * outH + ph) * outW + pw] = 1;
        for (let y = rows[2 * ph]!, i = 0; y < rows[2 * ph + 1]!; y++, i++) {
          rowIndex[((r * outH + ph) * binH + i) * outW + pw] = (r * rowSpan + (y - top)) * outW + pw;
        }
      }
    }
  }

  return tf.tidy(() => {
    const pad = tf.fill([1, channels], -Infinity);
    const flat = tf.concat([tf.reshape(features, [-1, channels]), pad]) as tf.Tensor2D;
    const colMax = tf.max(tf.reshape(gatherRows(flat, colIndex), [k * rowSpan * outW, binW, channels]), 1);
    const cellMax = tf.max(tf.reshape(gatherRows(tf.concat([colMax, pad]) as tf.Tensor2D, rowIndex), [k, outH, binH, outW, channels]), 2);
    const isEmpty = tf.cast(tf.tensor4d(empty, [k, outH, outW, 1]), 'bool');
    return tf.where(isEmpty, tf.zerosLike(cellMax), cellMax) as tf.Tensor4D;
  });
}
