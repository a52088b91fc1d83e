import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { isRectified, passThrough } from './fold-marks.js';

export class ReLU extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    // Rectified already by the layer before it, with a fused activation (fuseForInference).
    return isRectified(x) ? passThrough(x) : tf.relu(x);
  }
}
