import * as tf from '@tensorflow/tfjs-core';
import {
  AdaptiveAvgPool2d, BatchNorm2d, Concat, Conv2d, type Conv2dOptions, Dropout, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential,
  IMAGENET_MEAN, IMAGENET_STD, normal, registerModel,
} from '@convkit/core';
import { imagenetEval } from '../imagenet-eval.js';

/** Convolution without bias, BatchNorm (eps 0.001, as the TensorFlow original) and ReLU: `conv`, `bn`. */
export class BasicConv2d extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  readonly relu: ReLU;

  constructor(inChannels: number, outChannels: number, kernelSize: number, options: Omit<Conv2dOptions, 'bias'> = {}) {
    super();
    this.conv = this.registerModule('conv', new Conv2d(inChannels, outChannels, kernelSize, { ...options, bias: false }));
    this.bn = this.registerModule('bn', new BatchNorm2d(outChannels, { eps: 0.001 }));
    this.relu = this.registerModule('relu', new ReLU());
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.relu.call(this.bn.call(this.conv.call(x))));
  }
}

/**
 * Four parallel branches concatenated on channels: 1x1; 1x1 -> 3x3; 1x1 -> "5x5"; 3x3 max pool -> 1x1.
 * The 1x1 reductions in front of the larger kernels are what keep the parameter count low.
 * As in torchvision, the "5x5" branch uses a 3x3 kernel (pytorch/vision#906, kept for weight compatibility).
 * x: [N, H, W, inChannels] -> [N, H, W, ch1x1 + ch3x3 + ch5x5 + poolProj].
 */
export class Inception extends Module {
  readonly branch1: BasicConv2d;
  readonly branch2: Sequential;
  readonly branch3: Sequential;
  readonly branch4: Sequential;
  readonly cat: Concat;

  constructor(inChannels: number, ch1x1: number, ch3x3red: number, ch3x3: number, ch5x5red: number, ch5x5: number, poolProj: number) {
    super();
    this.branch1 = this.registerModule('branch1', new BasicConv2d(inChannels, ch1x1, 1));
    this.branch2 = this.registerModule('branch2', new Sequential(
      new BasicConv2d(inChannels, ch3x3red, 1), new BasicConv2d(ch3x3red, ch3x3, 3, { padding: 1 }),
    ));
    this.branch3 = this.registerModule('branch3', new Sequential(
      new BasicConv2d(inChannels, ch5x5red, 1), new BasicConv2d(ch5x5red, ch5x5, 3, { padding: 1 }),
    ));
    this.branch4 = this.registerModule('branch4', new Sequential(
      new MaxPool2d(3, { stride: 1, padding: 1, ceilMode: true }), new BasicConv2d(inChannels, poolProj, 1),
    ));
    this.cat = this.registerModule('cat', new Concat());
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.cat.call([this.branch1.call(x), this.branch2.call(x), this.branch3.call(x), this.branch4.call(x)]));
  }
}

/**
 * An auxiliary classifier on an intermediate map: adaptive average pool to 4x4, 1x1 conv to 128, fc 1024,
 * dropout 0.7, fc numClasses. x: [N, H, W, inChannels] -> [N, numClasses].
 */
export class InceptionAux extends Module {
  readonly avgpool: AdaptiveAvgPool2d;
  readonly conv: BasicConv2d;
  readonly flatten: Flatten;
  readonly fc1: Linear;
  readonly relu: ReLU;
  readonly fc2: Linear;
  readonly dropout: Dropout;

  constructor(inChannels: number, numClasses: number, dropout = 0.7) {
    super();
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(4));
    this.conv = this.registerModule('conv', new BasicConv2d(inChannels, 128, 1));
    this.flatten = this.registerModule('flatten', new Flatten());
    this.fc1 = this.registerModule('fc1', new Linear(2048, 1024));
    this.relu = this.registerModule('relu', new ReLU());
    this.fc2 = this.registerModule('fc2', new Linear(1024, numClasses));
    this.dropout = this.registerModule('dropout', new Dropout(dropout));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const features = this.flatten.call(this.conv.call(this.avgpool.call(x)));
      return this.fc2.call(this.dropout.call(this.relu.call(this.fc1.call(features))));
    });
  }
}

/** What GoogLeNet returns in training mode with auxiliary heads: logits [N, numClasses] from each head. */
export type GoogLeNetOutputs = { logits: tf.Tensor; aux2: tf.Tensor; aux1: tf.Tensor };

export interface GoogLeNetOptions {
  numClasses?: number;
  /** Build the two auxiliary classifiers (after inception4a and 4d); they run in training mode only. Default true. */
  auxLogits?: boolean;
  /**
   * Map inputs normalised with ImageNet's mean and std to the [-1, 1] range of the original TensorFlow
   * weights, per channel: x * (std / 0.5) + (mean - 0.5) / 0.5. Default false.
   */
  transformInput?: boolean;
  /** torchvision's initialisation: conv and linear weights N(0, 0.01^2), BatchNorm 1 and 0. Default true. */
  initWeights?: boolean;
  dropout?: number;
  dropoutAux?: number;
}

/**
 * GoogLeNet (Inception v1, Szegedy et al. 2014) exactly as torchvision builds it, BatchNorm included.
 * x: [N, H, W, 3] with H, W >= 15 -> logits [N, numClasses] in eval mode; in training mode with
 * `auxLogits`, `{ logits, aux2, aux1 }` (train on loss(logits) + 0.3 * (loss(aux1) + loss(aux2))).
 */
export class GoogLeNet extends Module<tf.Tensor, tf.Tensor | GoogLeNetOutputs> {
  readonly transformInput: boolean;
  readonly conv1: BasicConv2d;
  readonly maxpool1: MaxPool2d;
  readonly conv2: BasicConv2d;
  readonly conv3: BasicConv2d;
  readonly maxpool2: MaxPool2d;
  readonly inception3a: Inception;
  readonly inception3b: Inception;
  readonly maxpool3: MaxPool2d;
  readonly inception4a: Inception;
  readonly inception4b: Inception;
  readonly inception4c: Inception;
  readonly inception4d: Inception;
  readonly inception4e: Inception;
  readonly maxpool4: MaxPool2d;
  readonly inception5a: Inception;
  readonly inception5b: Inception;
  readonly aux1: InceptionAux | null;
  readonly aux2: InceptionAux | null;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly flatten: Flatten;
  readonly dropout: Dropout;
  readonly fc: Linear;

  constructor(options: GoogLeNetOptions = {}) {
    super();
    const numClasses = options.numClasses ?? 1000;
    this.transformInput = options.transformInput ?? false;
    const pool = (kernel: number) => new MaxPool2d(kernel, { stride: 2, ceilMode: true });
    this.conv1 = this.registerModule('conv1', new BasicConv2d(3, 64, 7, { stride: 2, padding: 3 }));
    this.maxpool1 = this.registerModule('maxpool1', pool(3));
    this.conv2 = this.registerModule('conv2', new BasicConv2d(64, 64, 1));
    this.conv3 = this.registerModule('conv3', new BasicConv2d(64, 192, 3, { padding: 1 }));
    this.maxpool2 = this.registerModule('maxpool2', pool(3));
    this.inception3a = this.registerModule('inception3a', new Inception(192, 64, 96, 128, 16, 32, 32));
    this.inception3b = this.registerModule('inception3b', new Inception(256, 128, 128, 192, 32, 96, 64));
    this.maxpool3 = this.registerModule('maxpool3', pool(3));
    this.inception4a = this.registerModule('inception4a', new Inception(480, 192, 96, 208, 16, 48, 64));
    this.inception4b = this.registerModule('inception4b', new Inception(512, 160, 112, 224, 24, 64, 64));
    this.inception4c = this.registerModule('inception4c', new Inception(512, 128, 128, 256, 24, 64, 64));
    this.inception4d = this.registerModule('inception4d', new Inception(512, 112, 144, 288, 32, 64, 64));
    this.inception4e = this.registerModule('inception4e', new Inception(528, 256, 160, 320, 32, 128, 128));
    this.maxpool4 = this.registerModule('maxpool4', pool(2));
    this.inception5a = this.registerModule('inception5a', new Inception(832, 256, 160, 320, 32, 128, 128));
    this.inception5b = this.registerModule('inception5b', new Inception(832, 384, 192, 384, 48, 128, 128));
    const auxLogits = options.auxLogits ?? true;
    this.aux1 = auxLogits ? this.registerModule('aux1', new InceptionAux(512, numClasses, options.dropoutAux ?? 0.7)) : null;
    this.aux2 = auxLogits ? this.registerModule('aux2', new InceptionAux(528, numClasses, options.dropoutAux ?? 0.7)) : null;
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(1));
    this.flatten = this.registerModule('flatten', new Flatten());
    this.dropout = this.registerModule('dropout', new Dropout(options.dropout ?? 0.2));
    this.fc = this.registerModule('fc', new Linear(1024, numClasses));
    if (options.initWeights ?? true) initGoogLeNetWeights(this);
  }

  get auxLogits(): boolean {
    return this.aux1 !== null;
  }

  forward(x: tf.Tensor): tf.Tensor | GoogLeNetOutputs {
    return tf.tidy(() => {
      if (this.transformInput) {
        x = tf.add(tf.mul(x, IMAGENET_STD.map((s) => s / 0.5)), IMAGENET_MEAN.map((m) => (m - 0.5) / 0.5));
      }
      x = this.maxpool1.call(this.conv1.call(x));
      x = this.maxpool2.call(this.conv3.call(this.conv2.call(x)));
      x = this.maxpool3.call(this.inception3b.call(this.inception3a.call(x)));
      x = this.inception4a.call(x);
      const aux1 = this.training && this.aux1 ? this.aux1.call(x) : null;
      x = this.inception4d.call(this.inception4c.call(this.inception4b.call(x)));
      const aux2 = this.training && this.aux2 ? this.aux2.call(x) : null;
      x = this.maxpool4.call(this.inception4e.call(x));
      x = this.inception5b.call(this.inception5a.call(x));
      const logits = this.fc.call(this.dropout.call(this.flatten.call(this.avgpool.call(x))));
      return aux1 && aux2 ? { logits, aux2, aux1 } : logits;
    });
  }
}

/**
 * torchvision's init: conv and linear weights from trunc_normal_(std=0.01, a=-2, b=2). Its bounds are
 * absolute, 200 standard deviations out, so this is a plain N(0, 0.01^2); tf.truncatedNormal would cut at
 * 2 std instead. Linear biases keep PyTorch's default uniform init, as in torchvision.
 */
function initGoogLeNetWeights(model: GoogLeNet): void {
  for (const [, m] of model.namedModules()) {
    if (m instanceof Conv2d || m instanceof Linear) tf.tidy(() => m.weight.assign(normal(m.weight.shape, 0.01)));
  }
}

export function googlenet(options: GoogLeNetOptions = {}): GoogLeNet {
  return new GoogLeNet(options);
}

registerModel({
  name: 'googlenet',
  task: 'classification',
  family: 'googlenet',
  description: 'GoogLeNet (Inception v1) as torchvision: BatchNorm, 3x3 in the "5x5" branch, aux heads in training',
  inputShape: [224, 224, 3],
  minInputSize: 15,
  numClasses: 1000,
  ...imagenetEval(224),
  reference: {
    params: 13_004_888,
    gmacs: 1.498,
    source: 'torchvision googlenet(weights=None), which builds the aux heads; its published num_params, 6,624,904, is the model without them (auxLogits: false)',
  },
  create: (options = {}) => googlenet(options as GoogLeNetOptions),
});
