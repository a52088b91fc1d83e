import * as tf from '@tensorflow/tfjs-core';
import { AvgPool2d, BatchNorm2d, Conv2d, Linear, MaxPool2d, Module, ReLU, Sequential, normal, registerModel } from '@convkit/core';
import { imagenetEval } from '../imagenet-eval.js';

/**
 * One BN-ReLU-Conv(1x1)-BN-ReLU-Conv(3x3) layer of DenseNet-BC: it reads the concatenation of every
 * earlier feature map in its block and adds `growthRate` new channels.
 * xs: [N, H, W, C_i] each -> [N, H, W, growthRate].
 */
export class DenseLayer extends Module<tf.Tensor[], tf.Tensor> {
  readonly norm1: BatchNorm2d;
  readonly relu1: ReLU;
  readonly conv1: Conv2d;
  readonly norm2: BatchNorm2d;
  readonly relu2: ReLU;
  readonly conv2: Conv2d;

  constructor(numInputFeatures: number, growthRate: number, bnSize: number) {
    super();
    this.norm1 = this.registerModule('norm1', new BatchNorm2d(numInputFeatures));
    this.relu1 = this.registerModule('relu1', new ReLU());
    this.conv1 = this.registerModule('conv1', new Conv2d(numInputFeatures, bnSize * growthRate, 1, { bias: false }));
    this.norm2 = this.registerModule('norm2', new BatchNorm2d(bnSize * growthRate));
    this.relu2 = this.registerModule('relu2', new ReLU());
    this.conv2 = this.registerModule('conv2', new Conv2d(bnSize * growthRate, growthRate, 3, { padding: 1, bias: false }));
  }

  override get typeName(): string {
    return '_DenseLayer';
  }

  forward(xs: tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const concatenated = xs.length === 1 ? xs[0]! : tf.concat(xs, -1);
      const bottleneck = this.conv1.call(this.relu1.call(this.norm1.call(concatenated)));
      return this.conv2.call(this.relu2.call(this.norm2.call(bottleneck)));
    });
  }
}

/** `numLayers` dense layers: x: [N, H, W, C] -> [N, H, W, C + numLayers * growthRate]. */
export class DenseBlock extends Module {
  readonly layers: DenseLayer[];

  constructor(numLayers: number, numInputFeatures: number, bnSize: number, growthRate: number) {
    super();
    this.layers = Array.from({ length: numLayers }, (_, i) =>
      this.registerModule(`denselayer${i + 1}`, new DenseLayer(numInputFeatures + i * growthRate, growthRate, bnSize)));
  }

  override get typeName(): string {
    return '_DenseBlock';
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const features = [x];
      for (const layer of this.layers) features.push(layer.call(features));
      return tf.concat(features, -1);
    });
  }
}

/** Between blocks: BN, ReLU, 1x1 convolution to `numOutputFeatures`, 2x2 average pooling. */
export class Transition extends Sequential {
  constructor(numInputFeatures: number, numOutputFeatures: number) {
    super({
      norm: new BatchNorm2d(numInputFeatures),
      relu: new ReLU(),
      conv: new Conv2d(numInputFeatures, numOutputFeatures, 1, { bias: false }),
      pool: new AvgPool2d(2, { stride: 2 }),
    });
  }

  override get typeName(): string {
    return '_Transition';
  }
}

export interface DenseNetConfig {
  /** k in the paper: channels each dense layer adds. */
  growthRate: number;
  /** Dense layers in each of the four blocks. */
  blockConfig: readonly [number, number, number, number];
  /** Channels of the stem convolution. */
  numInitFeatures: number;
}

export interface DenseNetOptions {
  numClasses?: number;
  /** The bottleneck's width as a multiple of growthRate (the "B" in DenseNet-BC). */
  bnSize?: number;
  /** torchvision's initialisation; false skips it (for weights about to be loaded). Default true. */
  initWeights?: boolean;
}

/**
 * DenseNet-BC (Huang et al. 2016) as torchvision builds it: a 7x7/2 stem and max-pool, four dense blocks
 * joined by transitions that halve the channels and the resolution, a final BatchNorm (`features.norm5`),
 * ReLU, global average pooling and a linear classifier. x: [N, H, W, 3] -> logits [N, numClasses].
 */
export class DenseNet extends Module {
  readonly features: Sequential;
  readonly classifier: Linear;
  /** Channels entering the classifier. */
  readonly numFeatures: number;

  constructor(config: DenseNetConfig, options: DenseNetOptions = {}) {
    super();
    const { growthRate, blockConfig, numInitFeatures } = config;
    const bnSize = options.bnSize ?? 4;
    const stages: Record<string, Module> = {
      conv0: new Conv2d(3, numInitFeatures, 7, { stride: 2, padding: 3, bias: false }),
      norm0: new BatchNorm2d(numInitFeatures),
      relu0: new ReLU(),
      pool0: new MaxPool2d(3, { stride: 2, padding: 1 }),
    };
    let channels = numInitFeatures;
    blockConfig.forEach((numLayers, i) => {
      stages[`denseblock${i + 1}`] = new DenseBlock(numLayers, channels, bnSize, growthRate);
      channels += numLayers * growthRate;
      if (i !== blockConfig.length - 1) {
        stages[`transition${i + 1}`] = new Transition(channels, Math.floor(channels / 2));
        channels = Math.floor(channels / 2);
      }
    });
    stages.norm5 = new BatchNorm2d(channels);
    this.numFeatures = channels;
    this.features = this.registerModule('features', new Sequential(stages));
    this.classifier = this.registerModule('classifier', new Linear(channels, options.numClasses ?? 1000));
    if (options.initWeights ?? true) this.#init();
  }

  /** torchvision's init: kaiming normal (fan_in, ReLU gain) for convolutions, zero classifier bias. */
  #init(): void {
    tf.tidy(() => {
      for (const [, m] of this.namedModules()) {
        if (m instanceof Conv2d) {
          const [kh, kw, inPerGroup] = m.weight.shape as [number, number, number, number];
          m.weight.assign(normal(m.weight.shape, Math.sqrt(2 / (inPerGroup * kh * kw))));
        }
      }
      this.classifier.bias?.assign(tf.zerosLike(this.classifier.bias));
    });
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      // As torchvision: the last ReLU and the pooling are functional, not modules with state-dict names.
      const pooled = tf.mean(tf.relu(this.features.call(x)), [1, 2]);
      return this.classifier.call(pooled);
    });
  }
}

/** The four published configurations: growth rate, layers per block, stem width. */
const CONFIGS = {
  densenet121: { growthRate: 32, blockConfig: [6, 12, 24, 16], numInitFeatures: 64 },
  densenet161: { growthRate: 48, blockConfig: [6, 12, 36, 24], numInitFeatures: 96 },
  densenet169: { growthRate: 32, blockConfig: [6, 12, 32, 32], numInitFeatures: 64 },
  densenet201: { growthRate: 32, blockConfig: [6, 12, 48, 32], numInitFeatures: 64 },
} as const satisfies Record<string, DenseNetConfig>;

type DenseNetName = keyof typeof CONFIGS;

export const densenet121 = (options: DenseNetOptions = {}): DenseNet => new DenseNet(CONFIGS.densenet121, options);
export const densenet161 = (options: DenseNetOptions = {}): DenseNet => new DenseNet(CONFIGS.densenet161, options);
export const densenet169 = (options: DenseNetOptions = {}): DenseNet => new DenseNet(CONFIGS.densenet169, options);
export const densenet201 = (options: DenseNetOptions = {}): DenseNet => new DenseNet(CONFIGS.densenet201, options);

/** torchvision's published figures for the IMAGENET1K_V1 weights (params and GMACs at 224x224). */
const PUBLISHED: Record<DenseNetName, { params: number; gmacs: number }> = {
  densenet121: { params: 7_978_856, gmacs: 2.834 },
  densenet161: { params: 28_681_000, gmacs: 7.728 },
  densenet169: { params: 14_149_480, gmacs: 3.36 },
  densenet201: { params: 20_013_928, gmacs: 4.291 },
};

for (const name of Object.keys(CONFIGS) as DenseNetName[]) {
  const { growthRate, blockConfig } = CONFIGS[name];
  registerModel({
    name,
    task: 'classification',
    family: 'densenet',
    description: `DenseNet-${name.slice('densenet'.length)}-BC (Huang et al. 2016), growth rate ${growthRate}, blocks ${blockConfig.join('-')}`,
    inputShape: [224, 224, 3],
    // conv0, pool0 and three 2x2 average pools: below 29 the last transition gets a 1x1 map (as torchvision).
    minInputSize: 29,
    numClasses: 1000,
    ...imagenetEval(224),
    reference: { ...PUBLISHED[name], source: 'torchvision 0.14 model metadata (IMAGENET1K_V1)' },
    create: (options = {}) => new DenseNet(CONFIGS[name], options as DenseNetOptions),
  });
}
