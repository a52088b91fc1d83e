import * as tf from '@tensorflow/tfjs-core';
import { Module, expectChannels, expectRank } from '@convkit/core';

/**
 * torchvision.ops.FrozenBatchNorm2d: BatchNorm with fixed statistics and affine terms, all four buffers
 * (weight, bias, running_mean, running_var; no num_batches_tracked), so nothing of it trains and its
 * output is the same in training and eval mode. x: [N, H, W, C] -> x * scale + (bias - running_mean * scale)
 * with scale = weight * rsqrt(running_var + eps), in torchvision's order of operations.
 */
export class FrozenBatchNorm2d extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;

  constructor(readonly numFeatures: number, readonly eps = 1e-5) {
    super();
    this.weight = this.registerBuffer('weight', tf.ones([numFeatures]));
    this.bias = this.registerBuffer('bias', tf.zeros([numFeatures]));
    this.runningMean = this.registerBuffer('running_mean', tf.zeros([numFeatures]));
    this.runningVar = this.registerBuffer('running_var', tf.ones([numFeatures]));
  }

  forward(x: tf.Tensor): tf.Tensor {
    expectRank(x, 4, '[N, H, W, C]');
    expectChannels(x, this.numFeatures);
    return tf.tidy(() => {
      const scale = tf.mul(this.weight, tf.rsqrt(tf.add(this.runningVar, this.eps)));
      const shift = tf.sub(this.bias, tf.mul(this.runningMean, scale));
      return tf.add(tf.mul(x, scale), shift);
    });
  }
}
