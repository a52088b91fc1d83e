import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '../module.js';

/**
 * What an inference fold (`fuseForInference`, fuse.ts) already applied to a tensor that a convolution or
 * linear layer returned: the BatchNorm2d folded into its weights, and whether a ReLU was fused in. The
 * BatchNorm2d or ReLU that the tensor reaches next passes it through instead of applying itself a second
 * time; any other input, and so any other use of a shared ReLU, is computed as usual. Weak references:
 * a mark goes when its tensor does.
 */
const batchNormApplied = new WeakMap<tf.Tensor, Module<any, any>>();
const rectified = new WeakSet<tf.Tensor>();

/** Records on `y` what the fold applied to it; returns `y`. */
export function markFolded(y: tf.Tensor, batchNorm: Module<any, any> | null, relu: boolean): tf.Tensor {
  if (batchNorm) batchNormApplied.set(y, batchNorm);
  if (relu) rectified.add(y);
  return y;
}

export function hasBatchNormApplied(x: tf.Tensor, batchNorm: Module<any, any>): boolean {
  return batchNormApplied.get(x) === batchNorm;
}

export function isRectified(x: tf.Tensor): boolean {
  return rectified.has(x);
}

/**
 * What a layer that is already applied returns: a new tensor on x's data (tf.clone copies nothing), so that,
 * like every layer, it never hands back its input, which a caller may dispose. It keeps x's rectified mark
 * for the ReLU after a folded BatchNorm.
 */
export function passThrough(x: tf.Tensor): tf.Tensor {
  const y = tf.clone(x);
  if (rectified.has(x)) rectified.add(y);
  return y;
}
