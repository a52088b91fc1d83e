import * as tf from '@tensorflow/tfjs-core';
import {
  AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential,
  kaimingNormalFanOut, normal, registerModel,
} from '@convkit/core';
import { imagenetEval } from '../imagenet-eval.js';

/** A VGG configuration: output widths of the 3x3 convolutions in order, 'M' for a 2x2 max pool. */
export type VggConfig = (number | 'M')[];

/** Simonyan & Zisserman's Table 1, configurations A (VGG-11), B (13), D (16) and E (19). */
export const VGG_CONFIGS: Record<'A' | 'B' | 'D' | 'E', VggConfig> = {
  A: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  B: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  D: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  E: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
};

/**
 * torchvision's `make_layers`: conv 3x3 (padding 1) [+ BatchNorm] + ReLU per width, MaxPool2d(2) per 'M',
 * numbered as one Sequential (`features.0`, `features.1`, ...). x: [N, H, W, 3] -> [N, H/32, W/32, 512].
 */
export function makeVggLayers(config: VggConfig, batchNorm = false): Sequential {
  const layers: Module[] = [];
  let inChannels = 3;
  for (const v of config) {
    if (v === 'M') {
      layers.push(new MaxPool2d(2, { stride: 2 }));
      continue;
    }
    layers.push(new Conv2d(inChannels, v, 3, { padding: 1 }));
    if (batchNorm) layers.push(new BatchNorm2d(v));
    layers.push(new ReLU());
    inChannels = v;
  }
  return new Sequential(...layers);
}

export interface VGGOptions {
  numClasses?: number;
  dropout?: number;
  /** torchvision's initialisation (kaiming normal convs, N(0, 0.01) linear layers, zero biases); default true. */
  initWeights?: boolean;
}

/**
 * VGG: stacks of 3x3 convolutions (two 3x3 layers see 5x5 with fewer weights than one 5x5 layer),
 * then torchvision's adaptive pool to 7x7 and three fully-connected layers.
 * x: [N, H, W, 3] with H, W >= 32 -> logits [N, numClasses].
 */
export class VGG extends Module {
  readonly features: Module;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly flatten: Flatten;
  readonly classifier: Sequential;

  constructor(features: Module, options: VGGOptions = {}) {
    super();
    const dropout = options.dropout ?? 0.5;
    this.features = this.registerModule('features', features);
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(7));
    this.flatten = this.registerModule('flatten', new Flatten());
    this.classifier = this.registerModule('classifier', new Sequential(
      new Linear(512 * 7 * 7, 4096), new ReLU(), new Dropout(dropout),
      new Linear(4096, 4096), new ReLU(), new Dropout(dropout),
      new Linear(4096, options.numClasses ?? 1000),
    ));
    if (options.initWeights ?? true) initVggWeights(this);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.classifier.call(this.flatten.call(this.avgpool.call(this.features.call(x)))));
  }
}

/**
 * torchvision's VGG init for every convolution and linear layer in `model`: kaiming normal (fan-out, ReLU
 * gain) convolutions, N(0, 0.01^2) linear weights, zero biases. BatchNorm's weight 1 and bias 0 are already
 * BatchNorm2d's defaults.
 */
export function initVggWeights(model: Module<any, any>): void {
  for (const [, m] of model.namedModules()) {
    tf.tidy(() => {
      if (m instanceof Conv2d) {
        const [kh, kw, , out] = m.weight.shape as [number, number, number, number];
        m.weight.assign(kaimingNormalFanOut(m.weight.shape, out * kh * kw));
        m.bias?.assign(tf.zerosLike(m.bias));
      } else if (m instanceof Linear) {
        m.weight.assign(normal(m.weight.shape, 0.01));
        m.bias?.assign(tf.zerosLike(m.bias));
      }
    });
  }
}

function vgg(config: keyof typeof VGG_CONFIGS, batchNorm: boolean, options: VGGOptions = {}): VGG {
  return new VGG(makeVggLayers(VGG_CONFIGS[config], batchNorm), options);
}

/** VGG-11, configuration A. */
export function vgg11(options: VGGOptions = {}): VGG {
  return vgg('A', false, options);
}

/** VGG-11 with BatchNorm, configuration A. */
export function vgg11Bn(options: VGGOptions = {}): VGG {
  return vgg('A', true, options);
}

/** VGG-13, configuration B. */
export function vgg13(options: VGGOptions = {}): VGG {
  return vgg('B', false, options);
}

/** VGG-13 with BatchNorm, configuration B. */
export function vgg13Bn(options: VGGOptions = {}): VGG {
  return vgg('B', true, options);
}

/** VGG-16, configuration D. */
export function vgg16(options: VGGOptions = {}): VGG {
  return vgg('D', false, options);
}

/** VGG-16 with BatchNorm, configuration D. */
export function vgg16Bn(options: VGGOptions = {}): VGG {
  return vgg('D', true, options);
}

/** VGG-19, configuration E. */
export function vgg19(options: VGGOptions = {}): VGG {
  return vgg('E', false, options);
}

/** VGG-19 with BatchNorm, configuration E. */
export function vgg19Bn(options: VGGOptions = {}): VGG {
  return vgg('E', true, options);
}

/** torchvision's published metadata per builder: num_params, and GMACs from its "GFLOPS" column. */
const VARIANTS = [
  { name: 'vgg11', build: vgg11, config: 'A', params: 132_863_336, gmacs: 7.609 },
  { name: 'vgg11_bn', build: vgg11Bn, config: 'A', params: 132_868_840, gmacs: 7.609 },
  { name: 'vgg13', build: vgg13, config: 'B', params: 133_047_848, gmacs: 11.308 },
  { name: 'vgg13_bn', build: vgg13Bn, config: 'B', params: 133_053_736, gmacs: 11.308 },
  { name: 'vgg16', build: vgg16, config: 'D', params: 138_357_544, gmacs: 15.470 },
  { name: 'vgg16_bn', build: vgg16Bn, config: 'D', params: 138_365_992, gmacs: 15.470 },
  { name: 'vgg19', build: vgg19, config: 'E', params: 143_667_240, gmacs: 19.632 },
  { name: 'vgg19_bn', build: vgg19Bn, config: 'E', params: 143_678_248, gmacs: 19.632 },
] as const;

for (const v of VARIANTS) {
  const layers = VGG_CONFIGS[v.config].filter((c) => c !== 'M').length + 3;
  registerModel({
    name: v.name,
    task: 'classification',
    family: 'vgg',
    description: `VGG-${layers} (configuration ${v.config})${v.name.endsWith('_bn') ? ' with BatchNorm after every convolution' : ''}`,
    inputShape: [224, 224, 3],
    minInputSize: 32,
    numClasses: 1000,
    ...imagenetEval(224),
    reference: { params: v.params, gmacs: v.gmacs, source: `torchvision ${v.name} IMAGENET1K_V1 metadata (num_params, GFLOPS)` },
    create: (options = {}) => v.build(options as VGGOptions),
  });
}
