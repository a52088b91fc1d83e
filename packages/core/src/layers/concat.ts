import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { LayerInputError } from '../errors.js';
import { shapeToString } from '../io/host-tensor.js';

/**
 * Concatenates feature maps along channels (`torch.cat(xs, dim=1)` in NCHW, the last axis in NHWC):
 * [N, H, W, C1], [N, H, W, C2], ... -> [N, H, W, C1 + C2 + ...].
 */
export class Concat extends Module<tf.Tensor[]> {
  forward(xs: tf.Tensor[]): tf.Tensor {
    if (xs.length === 0) throw new LayerInputError('nothing to concatenate');
    const [first] = xs;
    for (const x of xs) {
      if (x.rank !== first!.rank || x.shape.slice(0, -1).some((d, i) => d !== first!.shape[i])) {
        throw new LayerInputError(`inputs differ outside the channel axis: ${xs.map((t) => shapeToString(t.shape)).join(', ')}`);
      }
    }
    return tf.concat(xs, -1);
  }
}
