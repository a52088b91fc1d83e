import * as tf from '@tensorflow/tfjs-core';
import { Module, expectChannels, expectRank } from '../module.js';
import { LayerInputError } from '../errors.js';
import { defaultUniform } from '../init.js';
import { type Size2, pair, positivePair } from './args.js';
import { dilateKernel } from './dilated-kernel.js';

export interface ConvTranspose2dOptions {
  stride?: Size2;
  /** As PyTorch: the full transposed convolution is cropped by `padding` on each side. */
  padding?: Size2;
  /** Extra rows/columns added on the bottom/right so that several input sizes can map to one output size. */
  outputPadding?: Size2;
  groups?: number;
  bias?: boolean;
  dilation?: Size2;
}

/**
 * Transposed ("fractionally strided") convolution with `torch.nn.ConvTranspose2d` semantics:
 * out = (in - 1) * stride - 2 * padding + dilation * (kernel - 1) + outputPadding + 1.
 * x: [N, H, W, inChannels] -> [N, H', W', outChannels].
 * weight: [kH, kW, outChannels/groups, inChannels] (PyTorch: [in, out/groups, kH, kW]); bias: [outChannels].
 */
export class ConvTranspose2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly outputPadding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Size2, options: ConvTranspose2dOptions = {}) {
    super();
    this.kernelSize = positivePair(kernelSize, 'ConvTranspose2d kernelSize');
    this.stride = positivePair(options.stride ?? 1, 'ConvTranspose2d stride');
    this.padding = pair(options.padding ?? 0, 'ConvTranspose2d padding');
    this.outputPadding = pair(options.outputPadding ?? 0, 'ConvTranspose2d outputPadding');
    this.dilation = positivePair(options.dilation ?? 1, 'ConvTranspose2d dilation');
    this.groups = options.groups ?? 1;
    if (!Number.isInteger(this.groups) || this.groups < 1 || inChannels % this.groups || outChannels % this.groups) {
      throw new Error(`ConvTranspose2d groups=${this.groups} must divide inChannels=${inChannels} and outChannels=${outChannels}`);
    }
    for (const axis of [0, 1]) {
      if (this.outputPadding[axis]! >= Math.max(this.stride[axis]!, this.dilation[axis]!)) {
        throw new Error(`ConvTranspose2d outputPadding ${this.outputPadding} must be smaller than stride or dilation, as in PyTorch`);
      }
    }
    const [kh, kw] = this.kernelSize;
    // PyTorch computes fan-in from weight dim 1 (out/groups) for transposed convolutions.
    const fanIn = (outChannels / this.groups) * kh * kw;
    this.weight = this.registerParameter('weight', defaultUniform([kh, kw, outChannels / this.groups, inChannels], fanIn), 'convTranspose2d');
    this.bias = options.bias === false ? null : this.registerParameter('bias', defaultUniform([outChannels], fanIn));
  }

  outputSize(height: number, width: number): [number, number] {
    const size = (input: number, axis: 0 | 1) =>
      (input - 1) * this.stride[axis] - 2 * this.padding[axis] + this.dilation[axis] * (this.kernelSize[axis] - 1) + this.outputPadding[axis] + 1;
    return [size(height, 0), size(width, 1)];
  }

  forward(x: tf.Tensor): tf.Tensor {
    expectRank(x, 4, '[N, H, W, C]');
    expectChannels(x, this.inChannels);
    const [n, h, w] = x.shape as [number, number, number, number];
    const [outH, outW] = this.outputSize(h, w);
    if (outH < 1 || outW < 1) throw new LayerInputError(`input ${h}x${w} gives an empty output (${outH}x${outW})`);
    return tf.tidy(() => {
      const [dh, dw] = this.dilation;
      const [kh, kw] = [dh * (this.kernelSize[0] - 1) + 1, dw * (this.kernelSize[1] - 1) + 1];
      let filter: tf.Tensor4D = this.weight as tf.Tensor4D;
      if (dh > 1 || dw > 1) filter = dilateKernel(filter, this.dilation);
      // The full ("valid") transposed convolution, then PyTorch's crop by `padding` and `outputPadding`.
      const fullH = (h - 1) * this.stride[0] + kh;
      const fullW = (w - 1) * this.stride[1] + kw;
      const outPerGroup = this.outChannels / this.groups;
      const xs = this.groups === 1 ? [x] : tf.split(x, this.groups, 3);
      const ws = this.groups === 1 ? [filter] : tf.split(filter, this.groups, 3);
      const parts = xs.map((xg, g) =>
        tf.conv2dTranspose(xg as tf.Tensor4D, ws[g] as tf.Tensor4D, [n, fullH, fullW, outPerGroup], this.stride, 'valid'),
      );
      let y: tf.Tensor4D = parts.length === 1 ? parts[0]! : tf.concat(parts, 3);
      const [ph, pw] = this.padding;
      const extraH = Math.max(0, ph + outH - fullH);
      const extraW = Math.max(0, pw + outW - fullW);
      if (extraH || extraW) y = tf.pad(y, [[0, 0], [0, extraH], [0, extraW], [0, 0]]);
      y = tf.slice(y, [0, ph, pw, 0], [n, outH, outW, this.outChannels]);
      return this.bias ? tf.add(y, this.bias) : y;
    });
  }

  override countMacs(inputs: number[][]): number {
    const [n, h, w, c] = inputs[0]!;
    return n! * h! * w! * c! * (this.outChannels / this.groups) * this.kernelSize[0] * this.kernelSize[1];
  }
}
