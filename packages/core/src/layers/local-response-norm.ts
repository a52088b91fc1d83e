import * as tf from '@tensorflow/tfjs-core';
import { Module, expectRank } from '../module.js';

/**
 * AlexNet's local response normalisation across channels, as `torch.nn.LocalResponseNorm`:
 * b_c = a_c / (k + alpha / size * sum of a^2 over channels [c - floor(size/2), c + floor((size-1)/2)])^beta.
 * x: [N, H, W, C].
 */
export class LocalResponseNorm extends Module {
  constructor(readonly size: number, readonly alpha = 1e-4, readonly beta = 0.75, readonly k = 1) {
    super();
    if (!Number.isInteger(size) || size < 1) throw new Error(`LocalResponseNorm size must be a positive integer, got ${size}`);
  }

  forward(x: tf.Tensor): tf.Tensor {
    expectRank(x, 4, '[N, H, W, C]');
    const [n, h, w, c] = x.shape as [number, number, number, number];
    return tf.tidy(() => {
      // Average the squares over a channel window with a 1-D pooling over the channel axis.
      const squares = tf.reshape(tf.square(x), [n * h * w, c, 1, 1]) as tf.Tensor4D;
      const padded = tf.pad(squares, [[0, 0], [Math.floor(this.size / 2), Math.floor((this.size - 1) / 2)], [0, 0], [0, 0]]);
      const windowMean = tf.reshape(tf.avgPool(padded, [this.size, 1], 1, 'valid'), [n, h, w, c]);
      return tf.div(x, tf.pow(tf.add(tf.mul(windowMean, this.alpha), this.k), this.beta));
    });
  }
}
