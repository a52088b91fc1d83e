import * as tf from '@tensorflow/tfjs-core';
import { Module, expectChannels, expectRank } from '../module.js';
import { LayerInputError } from '../errors.js';
import { defaultUniform } from '../init.js';
import { type NhwcPadding, type Size2, pair, positivePair, slidingOutputSize } from './args.js';
import { dilateKernel } from './dilated-kernel.js';

export interface Conv2dOptions {
  stride?: Size2;
  /** Zero padding on each side, or 'same' (stride 1 only, as PyTorch) / 'valid' (none). */
  padding?: Size2 | 'same' | 'valid';
  dilation?: Size2;
  groups?: number;
  bias?: boolean;
}

/**
 * 2-D convolution with `torch.nn.Conv2d` semantics.
 * x: [N, H, W, inChannels] float32 -> [N, H', W', outChannels].
 * weight: [kH, kW, inChannels/groups, outChannels] (PyTorch: [out, in/groups, kH, kW]); bias: [outChannels].
 */
export class Conv2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  readonly padding: [number, number, number, number];
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Size2, options: Conv2dOptions = {}) {
    super();
    this.kernelSize = positivePair(kernelSize, 'Conv2d kernelSize');
    this.stride = positivePair(options.stride ?? 1, 'Conv2d stride');
    this.dilation = positivePair(options.dilation ?? 1, 'Conv2d dilation');
    this.groups = options.groups ?? 1;
    if (!Number.isInteger(this.groups) || this.groups < 1 || inChannels % this.groups || outChannels % this.groups) {
      throw new Error(`Conv2d groups=${this.groups} must divide inChannels=${inChannels} and outChannels=${outChannels}`);
    }
    this.padding = resolvePadding(options.padding ?? 0, this.kernelSize, this.stride, this.dilation);
    const [kh, kw] = this.kernelSize;
    const fanIn = (inChannels / this.groups) * kh * kw;
    this.weight = this.registerParameter('weight', defaultUniform([kh, kw, inChannels / this.groups, outChannels], fanIn), 'conv2d');
    this.bias = options.bias === false ? null : this.registerParameter('bias', defaultUniform([outChannels], fanIn));
  }

  outputSize(height: number, width: number): [number, number] {
    const [top, bottom, left, right] = this.padding;
    return [
      slidingOutputSize(height, this.kernelSize[0], this.stride[0], top, bottom, this.dilation[0]),
      slidingOutputSize(width, this.kernelSize[1], this.stride[1], left, right, this.dilation[1]),
    ];
  }

  forward(x: tf.Tensor): tf.Tensor {
    expectRank(x, 4, '[N, H, W, C]');
    expectChannels(x, this.inChannels);
    const [outH, outW] = this.outputSize(x.shape[1]!, x.shape[2]!);
    if (outH < 1 || outW < 1) {
      throw new LayerInputError(`input ${x.shape[1]}x${x.shape[2]} is smaller than the ${this.kernelSize.join('x')} kernel (after padding and dilation)`);
    }
    return tf.tidy(() => {
      const [top, bottom, left, right] = this.padding;
      const pad: NhwcPadding = [[0, 0], [top, bottom], [left, right], [0, 0]];
      // Under tf.grads, tf.variableGrads or optimizer.minimize: gradients will be asked for.
      const taped = tf.engine().state.gradientDepth > 0;
      let filter = this.weight as tf.Tensor4D;
      let dilations = this.dilation;
      // tfjs has no gradient for dilated convolutions and refuses stride and dilation above 1 together;
      // there the taps are spread out in the kernel instead, which costs more multiplies than native dilation.
      if (dilations.some((d) => d > 1) && (this.stride.some((s) => s > 1) || taped)) {
        filter = dilateKernel(filter, this.dilation);
        dilations = [1, 1];
      }
      // The fused kernel's gradient always computes the filter gradient too, even when only the input's is
      // wanted (a frozen layer), and some backends have no kernel for it: under a gradient tape, stay unfused.
      if (this.groups === 1 && !taped) {
        return tf.fused.conv2d({ x: x as tf.Tensor4D, filter, strides: this.stride, pad, dilations, bias: this.bias ?? undefined });
      }
      let y: tf.Tensor4D;
      if (this.groups === 1) {
        y = tf.conv2d(x as tf.Tensor4D, filter, this.stride, pad, 'NHWC', dilations);
      } else if (this.groups === this.inChannels) {
        const [kh, kw] = filter.shape;
        const depthwise = tf.reshape(filter, [kh, kw, this.inChannels, this.outChannels / this.inChannels]) as tf.Tensor4D;
        y = tf.depthwiseConv2d(tf.pad(x as tf.Tensor4D, pad), depthwise, this.stride, 'valid', 'NHWC', dilations);
      } else {
        const xs = tf.split(x, this.groups, 3);
        const ws = tf.split(filter, this.groups, 3);
        y = tf.concat(xs.map((xg, g) => tf.conv2d(xg as tf.Tensor4D, ws[g] as tf.Tensor4D, this.stride, pad, 'NHWC', dilations)), 3);
      }
      return this.bias ? tf.add(y, this.bias) : y;
    });
  }

  override countMacs(_inputs: number[][], outputs: number[][]): number {
    const [n, h, w, c] = outputs[0]!;
    return n! * h! * w! * c! * (this.inChannels / this.groups) * this.kernelSize[0] * this.kernelSize[1];
  }
}

function resolvePadding(padding: Size2 | 'same' | 'valid', kernel: [number, number], stride: [number, number], dilation: [number, number]): [number, number, number, number] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) throw new Error("Conv2d padding='same' needs stride 1, as in PyTorch");
    const [totalH, totalW] = [dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)];
    return [Math.floor(totalH / 2), totalH - Math.floor(totalH / 2), Math.floor(totalW / 2), totalW - Math.floor(totalW / 2)];
  }
  const [ph, pw] = pair(padding, 'Conv2d padding');
  return [ph, ph, pw, pw];
}
