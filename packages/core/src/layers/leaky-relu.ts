import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';

/**
 * torch.nn.LeakyReLU: f(x) = max(0, x) + negativeSlope * min(0, x), PyTorch's default slope 0.01.
 * No parameters and no buffers, so it adds nothing to a state dict.
 */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
    if (!Number.isFinite(negativeSlope)) throw new Error(`LeakyReLU negativeSlope must be a finite number, got ${negativeSlope}`);
  }

  forward(x: tf.Tensor): tf.Tensor {
    // tf.leakyRelu's gradient fails on tfjs-backend-wasm in some runs, so it is written with ops whose
    // gradients every backend has. For a slope in [0, 1] the formula is max(x, slope x), one op fewer.
    const slope = this.negativeSlope;
    if (slope >= 0 && slope <= 1) return tf.tidy(() => tf.maximum(x, tf.mul(x, slope)));
    return tf.tidy(() => tf.add(tf.relu(x), tf.mul(tf.minimum(x, 0), slope)));
  }
}
