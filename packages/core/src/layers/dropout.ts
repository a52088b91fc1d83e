import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';

/** Zeroes each value with probability p in training mode and scales the rest by 1/(1-p); identity in eval. */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p < 1)) throw new Error(`Dropout probability must be in [0, 1), got ${p}`);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.training && this.p > 0 ? tf.dropout(x, this.p) : tf.clone(x);
  }
}
