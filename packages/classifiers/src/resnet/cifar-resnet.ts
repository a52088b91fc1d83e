import * as tf from '@tensorflow/tfjs-core';
import { AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Flatten, Linear, Module, ReLU, Sequential, registerModel } from '@convkit/core';
import { BasicBlock, conv3x3, initResidualWeights } from './blocks.js';

/**
 * The paper's parameter-free shortcut for CIFAR ("option A"): subsample by `stride`, then zero-pad the
 * new channels. x: [N, H, W, inPlanes] -> [N, ceil(H/stride), ceil(W/stride), outPlanes].
 */
export class ZeroPadShortcut extends Module {
  constructor(readonly inPlanes: number, readonly outPlanes: number, readonly stride: number) {
    super();
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const s = this.stride;
      // A 1x1 average pool with stride s is x[:, ::s, ::s, :], and unlike stridedSlice it has a gradient in tfjs.
      const sub = s === 1 ? x : tf.avgPool(x as tf.Tensor4D, 1, s, 'valid');
      const extra = this.outPlanes - this.inPlanes;
      return extra > 0 ? tf.pad(sub, [[0, 0], [0, 0], [0, 0], [Math.floor(extra / 2), extra - Math.floor(extra / 2)]]) : tf.clone(sub);
    });
  }
}

export interface CifarResNetOptions {
  numClasses?: number;
  /** 3 for CIFAR; 1 for grey images such as the digits data set. */
  inChannels?: number;
  zeroInitResidual?: boolean;
  /** No shortcuts: the plain 6n+2-layer network of the paper's figure 6 (left). */
  plain?: boolean;
  /** torchvision's ResNet initialisation; false skips it (for weights about to be loaded). Default true. */
  initWeights?: boolean;
}

/**
 * The 6n+2-layer ResNet of He et al. 2015, section 4.2, for small images: a 3x3 convolution to 16
 * channels, three stages of n BasicBlocks at 16, 32, 64 channels (the second and third halve the
 * resolution), global average pooling and a linear layer. Shortcuts that change shape use option A
 * (`ZeroPadShortcut`), so the residual and plain networks of one depth have exactly the same parameters.
 * x: [N, H, W, inChannels] -> logits [N, numClasses].
 */
export class CifarResNet extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu: ReLU;
  readonly layer1: Sequential;
  readonly layer2: Sequential;
  readonly layer3: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly flatten: Flatten;
  readonly fc: Linear;

  constructor(readonly depth: number, options: CifarResNetOptions = {}) {
    super();
    if (!Number.isInteger(depth) || depth < 8 || (depth - 2) % 6 !== 0) {
      throw new Error(`a CIFAR ResNet has 6n+2 layers (8, 14, 20, 32, 44, 56, 110, ...), got depth ${depth}`);
    }
    const n = (depth - 2) / 6;
    const plain = options.plain ?? false;
    const stage = (inPlanes: number, planes: number, stride: number) => new Sequential(
      ...Array.from({ length: n }, (_, i) => {
        const [from, s] = i === 0 ? [inPlanes, stride] : [planes, 1];
        const reshapes = s !== 1 || from !== planes;
        return new BasicBlock(from, planes, { stride: s, plain, downsample: reshapes && !plain ? new ZeroPadShortcut(from, planes, s) : null });
      }),
    );
    this.conv1 = this.registerModule('conv1', conv3x3(options.inChannels ?? 3, 16));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(16));
    this.relu = this.registerModule('relu', new ReLU());
    this.layer1 = this.registerModule('layer1', stage(16, 16, 1));
    this.layer2 = this.registerModule('layer2', stage(16, 32, 2));
    this.layer3 = this.registerModule('layer3', stage(32, 64, 2));
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(1));
    this.flatten = this.registerModule('flatten', new Flatten());
    this.fc = this.registerModule('fc', new Linear(64, options.numClasses ?? 10));
    if (options.initWeights ?? true) initResidualWeights(this, options.zeroInitResidual ?? false);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const stem = this.relu.call(this.bn1.call(this.conv1.call(x)));
      const features = this.layer3.call(this.layer2.call(this.layer1.call(stem)));
      return this.fc.call(this.flatten.call(this.avgpool.call(features)));
    });
  }
}

export function cifarResnet(depth: number, options: CifarResNetOptions = {}): CifarResNet {
  return new CifarResNet(depth, options);
}

export const cifarResnet20 = (options: CifarResNetOptions = {}): CifarResNet => cifarResnet(20, options);
export const cifarResnet32 = (options: CifarResNetOptions = {}): CifarResNet => cifarResnet(32, options);
export const cifarResnet44 = (options: CifarResNetOptions = {}): CifarResNet => cifarResnet(44, options);
export const cifarResnet56 = (options: CifarResNetOptions = {}): CifarResNet => cifarResnet(56, options);
export const cifarResnet110 = (options: CifarResNetOptions = {}): CifarResNet => cifarResnet(110, options);

/** He et al. 2015, table 6: the depths trained on CIFAR-10, our exact count (option A, 10 classes), the paper's rounding. */
const PAPER_DEPTHS: [number, number, string][] = [
  [20, 269_722, '0.27M'], [32, 464_154, '0.46M'], [44, 658_586, '0.66M'], [56, 853_018, '0.85M'], [110, 1_727_962, '1.7M'],
];

for (const [depth, params, published] of PAPER_DEPTHS) {
  registerModel({
    name: `cifar_resnet${depth}`,
    task: 'classification',
    family: 'resnet',
    description: `ResNet-${depth} for 32x32 images (He et al. 2015, section 4.2), option A shortcuts; { plain: true } drops them`,
    inputShape: [32, 32, 3],
    minInputSize: 1,
    numClasses: 10,
    // No published weights: CIFAR-10's classes (torchvision's CIFAR10.classes), inputs scaled to [-1, 1].
    preprocessing: { colour: 'rgb', resize: [32, 32], mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
    categories: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
    reference: { params, source: `He et al. 2015, table 6 (${published}); exact count for option A shortcuts and 10 classes` },
    create: (options = {}) => cifarResnet(depth, options as CifarResNetOptions),
  });
}
