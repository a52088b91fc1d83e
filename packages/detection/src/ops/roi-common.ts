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
