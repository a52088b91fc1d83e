import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';

/** Passes its input through; a placeholder where a variant drops a layer (torch.nn.Identity). */
export class Identity extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.clone(x);
  }
}
