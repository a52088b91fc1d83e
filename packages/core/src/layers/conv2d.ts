import * as tf from '@tensorflow/tfjs-core';
import { Module, expectChannels, expectRank } from '../module.js';
import { LayerInputError } from '../errors.js';
import { defaultUniform } from '../init.js';
import { type NhwcPadding, type Size2, pair, positivePair, slidingOutputSize } from './args.js';
import type { BatchNorm2d } from './batch-norm2d.js';
import { dilateKernel } from './dilated-kernel.js';
import { markFolded } from './fold-marks.js';

export interface Conv2dOptions {
  stride?: Size2;
  /** Zero padding on each side, or 'same' (stride 1 only, as PyTorch) / 'valid' (none). */
  padding?: Size2 | 'same' | 'valid';
  dilation?: Size2;
  groups?: number;
  bias?: boolean;
}

/** A BatchNorm2d folded into a convolution's weights, and whether a ReLU is fused after it. */
export interface ConvFold {
  batchNorm: BatchNorm2d | null;
  relu: boolean;
}

/** The weights of a convolution with its BatchNorm folded in, and the dataIds of the variables they come from. */
interface FoldedWeights {
  sources: (object | null)[];
  /** [kH, kW, inChannels/groups, outChannels] */
  weight: tf.Tensor4D;
  /** [outChannels] */
  bias: tf.Tensor;
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
  #fold: ConvFold | null = null;
  #folded: FoldedWeights | null = null;

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

  /** The BatchNorm2d and ReLU fused into this convolution for inference (see `fuseForInference`), or null. */
  get fold(): ConvFold | null {
    return this.#fold;
  }

  set fold(fold: ConvFold | null) {
    this.#disposeFolded();
    this.#fold = fold;
  }

  forward(x: tf.Tensor): tf.Tensor {
    expectRank(x, 4, '[N, H, W, C]');
    expectChannels(x, this.inChannels);
    const [outH, outW] = this.outputSize(x.shape[1]!, x.shape[2]!);
    if (outH < 1 || outW < 1) {
      throw new LayerInputError(`input ${x.shape[1]}x${x.shape[2]} is smaller than the ${this.kernelSize.join('x')} kernel (after padding and dilation)`);
    }
    return tf.tidy(() => {
      // Under tf.grads, tf.variableGrads or optimizer.minimize: gradients will be asked for.
      const taped = tf.engine().state.gradientDepth > 0;
      // Eval mode off the tape only: no gradient reaches the real variables through folded weights, and a
      // BatchNorm in training mode normalises with the batch's statistics.
      const fold = this.#fold && !taped && !this.training && !this.#fold.batchNorm?.training ? this.#fold : null;
      if (!fold) return this.#convolve(x as tf.Tensor4D, this.weight as tf.Tensor4D, this.bias, false, taped);
      const { weight, bias } = fold.batchNorm ? this.#foldedWeights(fold.batchNorm) : { weight: this.weight as tf.Tensor4D, bias: this.bias };
      return markFolded(this.#convolve(x as tf.Tensor4D, weight, bias, fold.relu, taped), fold.batchNorm, fold.relu);
    });
  }

  /** filter: [kH, kW, in/groups, out], bias: [out]; with `relu` (off the tape only), the activation is the fused kernel's where groups is 1. */
  #convolve(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor | null, relu: boolean, taped: boolean): tf.Tensor {
    const [top, bottom, left, right] = this.padding;
    const pad: NhwcPadding = [[0, 0], [top, bottom], [left, right], [0, 0]];
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
      return tf.fused.conv2d({ x, filter, strides: this.stride, pad, dilations, bias: bias ?? undefined, activation: relu ? 'relu' : 'linear' });
    }
    let y: tf.Tensor4D;
    if (this.groups === 1) {
      y = tf.conv2d(x, filter, this.stride, pad, 'NHWC', dilations);
    } else if (this.groups === this.inChannels) {
      const [kh, kw] = filter.shape;
      const depthwise = tf.reshape(filter, [kh, kw, this.inChannels, this.outChannels / this.inChannels]) as tf.Tensor4D;
      y = tf.depthwiseConv2d(tf.pad(x, pad), depthwise, this.stride, 'valid', 'NHWC', dilations);
    } else {
      const xs = tf.split(x, this.groups, 3);
      const ws = tf.split(filter, this.groups, 3);
      y = tf.concat(xs.map((xg, g) => tf.conv2d(xg as tf.Tensor4D, ws[g] as tf.Tensor4D, this.stride, pad, 'NHWC', dilations)), 3);
    }
    const biased = bias ? tf.add(y, bias) : y;
    return relu ? tf.relu(biased) : biased;
  }

  /**
   * w' = w * gamma / sqrt(var + eps) per output channel, b' = (b - mean) * gamma / sqrt(var + eps) + beta,
   * kept until one of the six variables changes: assign (as loadStateDict and optimizers do) gives a
   * variable a new dataId, so comparing dataIds notices every change.
   */
  #foldedWeights(bn: BatchNorm2d): FoldedWeights {
    const sources = [this.weight, this.bias, bn.weight, bn.bias, bn.runningMean, bn.runningVar].map((v) => v?.dataId ?? null);
    if (this.#folded?.sources.every((id, i) => id === sources[i])) return this.#folded;
    this.#disposeFolded();
    const scale = tf.div(bn.weight ?? 1, tf.sqrt(tf.add(bn.runningVar!, bn.eps)));
    const shifted = this.bias ? tf.sub(this.bias, bn.runningMean!) : tf.neg(bn.runningMean!);
    this.#folded = {
      sources,
      weight: tf.keep(tf.mul(this.weight, scale)) as tf.Tensor4D,
      bias: tf.keep(bn.bias ? tf.add(tf.mul(shifted, scale), bn.bias) : tf.mul(shifted, scale)),
    };
    return this.#folded;
  }

  #disposeFolded(): void {
    if (this.#folded) tf.dispose([this.#folded.weight, this.#folded.bias]);
    this.#folded = null;
  }

  override dispose(): void {
    this.#disposeFolded();
    super.dispose();
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
