import * as tf from '@tensorflow/tfjs-core';
import { Module, expectRank } from '../module.js';
import { LayerInputError } from '../errors.js';
import { type Size2, pair, positivePair } from './args.js';
import { type Pool2dOptions, padOrCrop, poolPadding } from './max-pool2d.js';

export interface AvgPool2dOptions extends Pool2dOptions {
  /** Whether zero padding counts in the divisor (PyTorch's default: true). */
  countIncludePad?: boolean;
}

/** x: [N, H, W, C] -> [N, H', W', C], with PyTorch's divisor rules for padding and ceil mode. */
export class AvgPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;

  constructor(kernelSize: Size2, options: AvgPool2dOptions = {}) {
    super();
    this.kernelSize = positivePair(kernelSize, 'AvgPool2d kernelSize');
    this.stride = positivePair(options.stride ?? kernelSize, 'AvgPool2d stride');
    this.padding = pair(options.padding ?? 0, 'AvgPool2d padding');
    this.ceilMode = options.ceilMode ?? false;
    this.countIncludePad = options.countIncludePad ?? true;
  }

  forward(x: tf.Tensor): tf.Tensor {
    expectRank(x, 4, '[N, H, W, C]');
    const [height, width] = [x.shape[1]!, x.shape[2]!];
    const p = poolPadding(height, width, this.kernelSize, this.stride, this.padding, this.ceilMode);
    if (p.outH < 1 || p.outW < 1) throw new LayerInputError(`input ${height}x${width} is smaller than the ${this.kernelSize.join('x')} window`);
    return tf.tidy(() => {
      const padded = padOrCrop(x as tf.Tensor4D, p.top, p.bottom, p.left, p.right, 0);
      const mean = tf.avgPool(padded, this.kernelSize, this.stride, 'valid');
      const rowsH = this.#windowSizes(height, p.outH, 0);
      const rowsW = this.#windowSizes(width, p.outW, 1);
      const kernelArea = this.kernelSize[0] * this.kernelSize[1];
      if (rowsH.every((s) => s === this.kernelSize[0]) && rowsW.every((s) => s === this.kernelSize[1])) return mean;
      const scale = new Float32Array(p.outH * p.outW);
      for (let i = 0; i < p.outH; i++) for (let j = 0; j < p.outW; j++) scale[i * p.outW + j] = kernelArea / (rowsH[i]! * rowsW[j]!);
      return tf.mul(mean, tf.tensor4d(scale, [1, p.outH, p.outW, 1]));
    });
  }

  /** The divisor along one axis for each output position, following PyTorch's avg_pool2d. */
  #windowSizes(input: number, outputs: number, axis: 0 | 1): number[] {
    const [k, s, pad] = [this.kernelSize[axis], this.stride[axis], this.padding[axis]];
    return Array.from({ length: outputs }, (_, o) => {
      const start = o * s - pad;
      const end = Math.min(start + k, input + pad);
      return this.countIncludePad ? end - start : Math.min(end, input) - Math.max(start, 0);
    });
  }
}
