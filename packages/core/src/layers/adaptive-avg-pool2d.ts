import * as tf from '@tensorflow/tfjs-core';
import { Module, expectRank } from '../module.js';
import { type Size2, positivePair } from './args.js';

/** Averages over PyTorch's adaptive bins: bin i spans [floor(i*H/out), ceil((i+1)*H/out)). */
function poolingMatrix(input: number, output: number): tf.Tensor2D {
  const m = new Float32Array(output * input);
  for (let i = 0; i < output; i++) {
    const start = Math.floor((i * input) / output);
    const end = Math.ceil(((i + 1) * input) / output);
    for (let j = start; j < end; j++) m[i * input + j] = 1 / (end - start);
  }
  return tf.tensor2d(m, [output, input]);
}

/** x: [N, H, W, C] -> [N, outH, outW, C] for any H, W. */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: [number, number];

  constructor(outputSize: Size2) {
    super();
    this.outputSize = positivePair(outputSize, 'AdaptiveAvgPool2d outputSize');
  }

  forward(x: tf.Tensor): tf.Tensor {
    expectRank(x, 4, '[N, H, W, C]');
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const [oh, ow] = this.outputSize;
    return tf.tidy(() => {
      if (oh === 1 && ow === 1) return tf.mean(x, [1, 2], true);
      if (h % oh === 0 && w % ow === 0) return tf.avgPool(x as tf.Tensor4D, [h / oh, w / ow], [h / oh, w / ow], 'valid');
      // Uneven bins overlap; two small matrix products pool rows, then columns.
      const rows = tf.matMul(poolingMatrix(h, oh), tf.reshape(tf.transpose(x, [1, 0, 2, 3]), [h, n * w * c]));
      const byColumn = tf.reshape(tf.transpose(tf.reshape(rows, [oh, n, w, c]), [2, 1, 0, 3]), [w, n * oh * c]);
      const cols = tf.matMul(poolingMatrix(w, ow), byColumn);
      return tf.transpose(tf.reshape(cols, [ow, n, oh, c]), [1, 2, 0, 3]);
    });
  }
}
