import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';

/**
 * Flattens all but the batch axis in PyTorch's order: an NHWC feature map [N, H, W, C] becomes
 * [N, C*H*W] ordered channel-major, so a Linear layer after it takes PyTorch's weights unchanged.
 */
export class Flatten extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.reshape(x.rank === 4 ? tf.transpose(x, [0, 3, 1, 2]) : x, [x.shape[0]!, -1]));
  }
}
