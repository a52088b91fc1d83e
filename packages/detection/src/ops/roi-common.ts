import * as tf from '@tensorflow/tfjs-core';
import { isMetaBackend } from '@convkit/core';

export type OutputSize = number | readonly [height: number, width: number];

export function outputSize2(size: OutputSize): [number, number] {
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  if (!(Number.isInteger(h) && Number.isInteger(w) && h > 0 && w > 0)) {
    throw new Error(`outputSize must be positive integers, got ${String(size)}`);
  }
  return [h, w];
}

/**
 * Reads rois [K, 5] (batch_index, x1, y1, x2, y2) synchronously: they only set gather indices and
 * weights, and like torchvision's kernels we do not differentiate with respect to them. Checks the batch
 * indices, which torchvision would read out of bounds with.
 */
export function readRois(features: tf.Tensor4D, rois: tf.Tensor2D, op: string): { data: Float32Array; batch: Int32Array } {
  if (features.rank !== 4) throw new Error(`${op} needs features [N, H, W, C], got [${features.shape.join(', ')}]`);
  if (rois.rank !== 2 || rois.shape[1] !== 5) {
    throw new Error(`${op} needs rois [K, 5] (batch_index, x1, y1, x2, y2), got [${rois.shape.join(', ')}]`);
  }
  // On the meta backend (a summary) RoIs have no values; zeros give the same output shapes.
  const data = isMetaBackend() ? new Float32Array(rois.size) : Float32Array.from(rois.dataSync());
  const k = rois.shape[0];
  const batch = new Int32Array(k);
  for (let i = 0; i < k; i++) {
    batch[i] = Math.trunc(data[5 * i]!);
    if (!(batch[i]! >= 0 && batch[i]! < features.shape[0])) {
      throw new Error(`${op}: roi ${i} has batch index ${data[5 * i]}, but features hold ${features.shape[0]} images`);
    }
  }
  return { data, batch };
}

/**
 * x: [R, C] -> [indices.length, C], rows picked by `indices`; differentiable on every backend. tf.gather's
 * own gradient needs the UnsortedSegmentSum kernel, which tfjs-backend-wasm lacks; this one scatters the
 * gradient back with ScatterNd, which sums the rows of repeated indices.
 */
export function gatherRows(x: tf.Tensor2D, indices: Int32Array): tf.Tensor2D {
  const gather = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const index = tf.tensor1d(indices, 'int32');
    save([index]);
    return {
      value: tf.gather(input, index),
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.scatterND(tf.reshape(saved!, [-1, 1]), dy, input.shape),
    };
  });
  return gather(x) as tf.Tensor2D;
}

/**
 * x: [R, C] -> [M, C], output row m the sum over t < taps of weights[m * taps + t] times row
 * indices[m * taps + t] of x. Differentiable with respect to x; its gradient scatters dy times the
 * weights back with ScatterNd. The gathered [M, taps, C] rows live only while the forward pass runs: the
 * backward pass needs the indices and weights alone, which keeps a training step's memory to the
 * output's size (RoI Align over 1000 RoIs gathers about 800 MB of cells in all).
 */
export function weightedRowSum(x: tf.Tensor2D, indices: Int32Array, weights: Float32Array, taps: number): tf.Tensor2D {
  const rows = indices.length / taps;
  const channels = x.shape[1];
  const sum = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const index = tf.tensor1d(indices, 'int32');
    const weight = tf.tensor3d(weights, [rows, taps, 1]);
    save([index, weight]);
    return {
      value: tf.tidy(() => tf.sum(tf.mul(tf.reshape(tf.gather(input, index), [rows, taps, channels]), weight), 1)),
      gradFunc: (dy: tf.Tensor, [savedIndex, savedWeight]: tf.Tensor[]) =>
        tf.scatterND(tf.reshape(savedIndex!, [-1, 1]), tf.reshape(tf.mul(tf.reshape(dy, [rows, 1, channels]), savedWeight!), [rows * taps, channels]), input.shape),
    };
  });
  return sum(x) as tf.Tensor2D;
}
