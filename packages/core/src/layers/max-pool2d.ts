import * as tf from '@tensorflow/tfjs-core';
import { Module, expectRank } from '../module.js';
import { LayerInputError } from '../errors.js';
import { type Size2, pair, positivePair, slidingOutputSize } from './args.js';

export interface Pool2dOptions {
  /** Defaults to the kernel size, as in PyTorch. */
  stride?: Size2;
  padding?: Size2;
  ceilMode?: boolean;
}

/** The padding that makes a 'valid' sweep produce PyTorch's output size: [top, bottom, left, right] (bottom/right may be negative: crop). */
export function poolPadding(height: number, width: number, kernel: [number, number], stride: [number, number], padding: [number, number], ceilMode: boolean) {
  const outH = slidingOutputSize(height, kernel[0], stride[0], padding[0], padding[0], 1, ceilMode);
  const outW = slidingOutputSize(width, kernel[1], stride[1], padding[1], padding[1], 1, ceilMode);
  const bottom = (outH - 1) * stride[0] + kernel[0] - height - padding[0];
  const right = (outW - 1) * stride[1] + kernel[1] - width - padding[1];
  return { outH, outW, top: padding[0], bottom, left: padding[1], right };
}

/** Pads (with `value`) or crops the spatial axes of x: [N, H, W, C] by the given amounts. */
export function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number, value: number): tf.Tensor4D {
  let y = x;
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    y = tf.pad(y, [[0, 0], [top, Math.max(0, bottom)], [left, Math.max(0, right)], [0, 0]], value);
  }
  if (bottom < 0 || right < 0) {
    const [n, h, w, c] = y.shape;
    y = tf.slice(y, [0, 0, 0, 0], [n, h + Math.min(0, bottom), w + Math.min(0, right), c]);
  }
  return y;
}

export class MaxPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly ceilMode: boolean;

  /** x: [N, H, W, C] -> [N, H', W', C]; padding counts as -infinity, as in PyTorch. */
  constructor(kernelSize: Size2, options: Pool2dOptions = {}) {
    super();
    this.kernelSize = positivePair(kernelSize, 'MaxPool2d kernelSize');
    this.stride = positivePair(options.stride ?? kernelSize, 'MaxPool2d stride');
    this.padding = pair(options.padding ?? 0, 'MaxPool2d padding');
    this.ceilMode = options.ceilMode ?? false;
    if (this.padding[0] * 2 > this.kernelSize[0] || this.padding[1] * 2 > this.kernelSize[1]) {
      throw new Error(`MaxPool2d padding ${this.padding} must be at most half the kernel ${this.kernelSize}, as in PyTorch`);
    }
  }

  forward(x: tf.Tensor): tf.Tensor {
    expectRank(x, 4, '[N, H, W, C]');
    const p = poolPadding(x.shape[1]!, x.shape[2]!, this.kernelSize, this.stride, this.padding, this.ceilMode);
    if (p.outH < 1 || p.outW < 1) throw new LayerInputError(`input ${x.shape[1]}x${x.shape[2]} is smaller than the ${this.kernelSize.join('x')} window`);
    return tf.tidy(() => tf.maxPool(padOrCrop(x as tf.Tensor4D, p.top, p.bottom, p.left, p.right, -Infinity), this.kernelSize, this.stride, 'valid'));
  }
}
