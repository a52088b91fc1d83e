import * as tf from '@tensorflow/tfjs-core';
import { LayerInputError } from '@convkit/core';

/** Caffe's Crop layer on x: [N, H, W, C]: rows and columns [offset, offset + size), or an error naming what is short. */
export function cropTo(x: tf.Tensor, offset: number, height: number, width: number, what: string): tf.Tensor4D {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  if (offset + height > h || offset + width > w) {
    throw new LayerInputError(`${what}: cannot crop ${height}x${width} at offset ${offset} from a ${h}x${w} map; the input is too small for this network`);
  }
  return tf.slice(x as tf.Tensor4D, [0, offset, offset, 0], [n, height, width, c]);
}
