import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Module, ReLU, Sequential, kaimingNormalFanOut } from '@convkit/core';

/** 3x3 convolution, padding = dilation so that stride 1 keeps the size, no bias (a BatchNorm follows). */
export function conv3x3(inPlanes: number, outPlanes: number, stride = 1, groups = 1, dilation = 1): Conv2d {
  return new Conv2d(inPlanes, outPlanes, 3, { stride, padding: dilation, groups, dilation, bias: false });
}

export function conv1x1(inPlanes: number, outPlanes: number, stride = 1): Conv2d {
  return new Conv2d(inPlanes, outPlanes, 1, { stride, bias: false });
}

/**
 * The normalisation after each convolution, torchvision's `norm_layer`: BatchNorm2d by default; detection
 * backbones pass a FrozenBatchNorm2d. Whatever it builds is registered under the same names (bn1, downsample.1).
 */
export type NormLayer = (channels: number) => Module;

const batchNorm: NormLayer = (channels) => new BatchNorm2d(channels);

/** The projection shortcut where a block changes size or width: conv1x1 then the norm layer, as `downsample.0/1`. */
export function projection(inPlanes: number, outPlanes: number, stride: number, normLayer: NormLayer = batchNorm): Sequential {
  return new Sequential(conv1x1(inPlanes, outPlanes, stride), normLayer(outPlanes));
}

export interface BlockOptions {
  stride?: number;
  /** The shortcut for this block: a projection when the shape changes, otherwise null (identity). */
  downsample?: Module | null;
  groups?: number;
  baseWidth?: number;
  dilation?: number;
  /**
   * Drops the shortcut entirely: the block is then two (or three) stacked layers, the "plain" network
   * He et al. compare against. Parameter names are unchanged apart from the absent `downsample`.
   */
  plain?: boolean;
  /** The normalisation layer (default BatchNorm2d). */
  normLayer?: NormLayer;
}

/** The shared tail of both blocks: out + shortcut(x), then ReLU; without the addition when plain. */
function addShortcut(out: tf.Tensor, x: tf.Tensor, downsample: Module | null, plain: boolean, relu: ReLU): tf.Tensor {
  if (plain) return relu.call(out);
  const identity = downsample ? downsample.call(x) : x;
  return relu.call(tf.add(out, identity));
}

/**
 * Two 3x3 convolutions with a shortcut (ResNet-18/34): x: [N, H, W, inPlanes] -> [N, H/stride, W/stride, planes].
 */
export class BasicBlock extends Module {
  static readonly expansion = 1;
  readonly conv1: Conv2d;
  readonly bn1: Module;
  readonly relu: ReLU;
  readonly conv2: Conv2d;
  readonly bn2: Module;
  readonly downsample: Module | null;
  readonly plain: boolean;

  constructor(inPlanes: number, planes: number, options: BlockOptions = {}) {
    super();
    if ((options.groups ?? 1) !== 1 || (options.baseWidth ?? 64) !== 64) {
      throw new Error('BasicBlock supports only groups=1 and widthPerGroup=64, as torchvision; use Bottleneck for ResNeXt-style blocks');
    }
    if ((options.dilation ?? 1) > 1) {
      throw new Error('BasicBlock does not support dilation > 1, as torchvision; dilate only Bottleneck networks (ResNet-50 and deeper)');
    }
    const stride = options.stride ?? 1;
    this.plain = options.plain ?? false;
    this.conv1 = this.registerModule('conv1', conv3x3(inPlanes, planes, stride));
    const norm = options.normLayer ?? batchNorm;
    this.bn1 = this.registerModule('bn1', norm(planes));
    this.relu = this.registerModule('relu', new ReLU());
    this.conv2 = this.registerModule('conv2', conv3x3(planes, planes));
    this.bn2 = this.registerModule('bn2', norm(planes));
    this.downsample = options.downsample ? this.registerModule('downsample', options.downsample) : null;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let out = this.relu.call(this.bn1.call(this.conv1.call(x)));
      out = this.bn2.call(this.conv2.call(out));
      return addShortcut(out, x, this.downsample, this.plain, this.relu);
    });
  }
}

/**
 * 1x1 reduce, 3x3, 1x1 expand (x4) with a shortcut (ResNet-50/101/152). The stride sits on the 3x3
 * convolution (torchvision's "ResNet v1.5"), not on the first 1x1 as in the paper.
 * x: [N, H, W, inPlanes] -> [N, H/stride, W/stride, 4 * planes].
 */
export class Bottleneck extends Module {
  static readonly expansion = 4;
  readonly conv1: Conv2d;
  readonly bn1: Module;
  readonly conv2: Conv2d;
  readonly bn2: Module;
  readonly conv3: Conv2d;
  readonly bn3: Module;
  readonly relu: ReLU;
  readonly downsample: Module | null;
  readonly plain: boolean;

  constructor(inPlanes: number, planes: number, options: BlockOptions = {}) {
    super();
    const groups = options.groups ?? 1;
    const width = Math.floor(planes * ((options.baseWidth ?? 64) / 64)) * groups;
    this.plain = options.plain ?? false;
    this.conv1 = this.registerModule('conv1', conv1x1(inPlanes, width));
    const norm = options.normLayer ?? batchNorm;
    this.bn1 = this.registerModule('bn1', norm(width));
    this.conv2 = this.registerModule('conv2', conv3x3(width, width, options.stride ?? 1, groups, options.dilation ?? 1));
    this.bn2 = this.registerModule('bn2', norm(width));
    this.conv3 = this.registerModule('conv3', conv1x1(width, planes * Bottleneck.expansion));
    this.bn3 = this.registerModule('bn3', norm(planes * Bottleneck.expansion));
    this.relu = this.registerModule('relu', new ReLU());
    this.downsample = options.downsample ? this.registerModule('downsample', options.downsample) : null;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let out = this.relu.call(this.bn1.call(this.conv1.call(x)));
      out = this.relu.call(this.bn2.call(this.conv2.call(out)));
      out = this.bn3.call(this.conv3.call(out));
      return addShortcut(out, x, this.downsample, this.plain, this.relu);
    });
  }
}

export type BlockType = typeof BasicBlock | typeof Bottleneck;

/**
 * torchvision's weight init for residual networks: kaiming normal (fan_out, ReLU gain) for every
 * convolution; BatchNorm weight 1, bias 0 (already BatchNorm2d's defaults); optionally the last
 * BatchNorm of each block at 0 so that every block starts as the identity (Goyal et al. 2017).
 */
export function initResidualWeights(model: Module<any, any>, zeroInitResidual: boolean): void {
  for (const [, m] of model.namedModules()) {
    if (m instanceof Conv2d) {
      const [kh, kw, , out] = m.weight.shape as [number, number, number, number];
      tf.tidy(() => m.weight.assign(kaimingNormalFanOut(m.weight.shape, out * kh * kw)));
    }
    if (zeroInitResidual && (m instanceof BasicBlock || m instanceof Bottleneck)) {
      const last = m instanceof Bottleneck ? m.bn3 : m.bn2;
      if (last instanceof BatchNorm2d) tf.tidy(() => last.weight?.assign(tf.zerosLike(last.weight)));
    }
  }
}
