import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';

export class ReLU extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.relu(x);
  }
}
