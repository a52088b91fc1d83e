import * as tf from '@tensorflow/tfjs-core';
import { AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential, registerModel } from '@convkit/core';
import { BasicBlock, type BlockType, Bottleneck, type NormLayer, initResidualWeights, projection } from './blocks.js';
import { imagenetEval } from '../imagenet-eval.js';

export interface ResNetOptions {
  numClasses?: number;
  /** Start each block as the identity by zeroing its last BatchNorm weight. */
  zeroInitResidual?: boolean;
  /** Bottleneck only: ResNeXt cardinality. */
  groups?: number;
  /** Bottleneck only: channels per group in the 3x3 convolution at `planes` = 64. */
  widthPerGroup?: number;
  /**
   * For layer2, layer3, layer4: replace the stage's stride 2 by dilation, keeping the resolution
   * (DeepLab/FCN backbones use [false, true, true] for output stride 8). Bottleneck networks only.
   */
  replaceStrideWithDilation?: [boolean, boolean, boolean];
  /** No shortcuts anywhere: the plain network of the same depth, for the degradation experiment. */
  plain?: boolean;
  /** torchvision's initialisation; false skips it (for weights about to be loaded). Default true. */
  initWeights?: boolean;
  /** torchvision's `norm_layer`: BatchNorm2d by default; detection backbones use FrozenBatchNorm2d. */
  normLayer?: NormLayer;
}

/** The four stages' outputs of `forwardFeatures`, each [N, H, W, C]; strides 4, 8, 16, 32 without dilation. */
export interface ResNetFeatures {
  layer1: tf.Tensor4D;
  layer2: tf.Tensor4D;
  layer3: tf.Tensor4D;
  layer4: tf.Tensor4D;
}

/**
 * ResNet (He et al. 2015) as torchvision builds it: a 7x7/2 stem and 3x3/2 max-pool, four stages of
 * residual blocks at 64, 128, 256, 512 planes, global average pooling and one linear layer.
 * x: [N, H, W, 3] -> logits [N, numClasses]. Parameter names equal torchvision's state_dict keys.
 */
export class ResNet extends Module {
  readonly conv1: Conv2d;
  readonly bn1: Module;
  readonly relu: ReLU;
  readonly maxpool: MaxPool2d;
  readonly layer1: Sequential;
  readonly layer2: Sequential;
  readonly layer3: Sequential;
  readonly layer4: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly flatten: Flatten;
  readonly fc: Linear;
  /** Channels of layer4's output: 512 for BasicBlock networks, 2048 for Bottleneck ones. */
  readonly numFeatures: number;

  #inPlanes = 64;
  #dilation = 1;

  constructor(block: BlockType, layers: readonly [number, number, number, number], options: ResNetOptions = {}) {
    super();
    const dilate = options.replaceStrideWithDilation ?? [false, false, false];
    if (dilate.length !== 3) throw new Error(`replaceStrideWithDilation takes 3 booleans (layer2, layer3, layer4), got ${JSON.stringify(dilate)}`);
    const normLayer = options.normLayer ?? ((channels: number) => new BatchNorm2d(channels));
    const shape = { groups: options.groups ?? 1, baseWidth: options.widthPerGroup ?? 64, plain: options.plain ?? false, normLayer };
    this.conv1 = this.registerModule('conv1', new Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false }));
    this.bn1 = this.registerModule('bn1', normLayer(64));
    this.relu = this.registerModule('relu', new ReLU());
    this.maxpool = this.registerModule('maxpool', new MaxPool2d(3, { stride: 2, padding: 1 }));
    this.layer1 = this.registerModule('layer1', this.#makeLayer(block, 64, layers[0], 1, false, shape));
    this.layer2 = this.registerModule('layer2', this.#makeLayer(block, 128, layers[1], 2, dilate[0], shape));
    this.layer3 = this.registerModule('layer3', this.#makeLayer(block, 256, layers[2], 2, dilate[1], shape));
    this.layer4 = this.registerModule('layer4', this.#makeLayer(block, 512, layers[3], 2, dilate[2], shape));
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(1));
    this.flatten = this.registerModule('flatten', new Flatten());
    this.numFeatures = 512 * block.expansion;
    this.fc = this.registerModule('fc', new Linear(this.numFeatures, options.numClasses ?? 1000));
    if (options.initWeights ?? true) initResidualWeights(this, options.zeroInitResidual ?? false);
  }

  /** torchvision's `_make_layer`: the first block changes stride and width, the rest keep them. */
  #makeLayer(block: BlockType, planes: number, blocks: number, stride: number, dilate: boolean,
    shape: { groups: number; baseWidth: number; plain: boolean; normLayer: NormLayer }): Sequential {
    const previousDilation = this.#dilation;
    if (dilate) {
      this.#dilation *= stride;
      stride = 1;
    }
    const outPlanes = planes * block.expansion;
    const downsample = !shape.plain && (stride !== 1 || this.#inPlanes !== outPlanes) ? projection(this.#inPlanes, outPlanes, stride, shape.normLayer) : null;
    const first = new block(this.#inPlanes, planes, { ...shape, stride, downsample, dilation: previousDilation });
    this.#inPlanes = outPlanes;
    const rest = Array.from({ length: blocks - 1 }, () => new block(outPlanes, planes, { ...shape, dilation: this.#dilation }));
    return new Sequential(first, ...rest);
  }

  /** The backbone without avgpool and fc: x: [N, H, W, 3] -> the four stage outputs. */
  forwardFeatures(x: tf.Tensor): ResNetFeatures {
    return tf.tidy(() => {
      const stem = this.maxpool.call(this.relu.call(this.bn1.call(this.conv1.call(x))));
      const layer1 = this.layer1.call(stem) as tf.Tensor4D;
      const layer2 = this.layer2.call(layer1) as tf.Tensor4D;
      const layer3 = this.layer3.call(layer2) as tf.Tensor4D;
      const layer4 = this.layer4.call(layer3) as tf.Tensor4D;
      return { layer1, layer2, layer3, layer4 };
    });
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.fc.call(this.flatten.call(this.avgpool.call(this.forwardFeatures(x).layer4))));
  }
}

/** Blocks per stage: the whole difference between the five published depths. */
const STAGES = {
  resnet18: { block: BasicBlock, layers: [2, 2, 2, 2] },
  resnet34: { block: BasicBlock, layers: [3, 4, 6, 3] },
  resnet50: { block: Bottleneck, layers: [3, 4, 6, 3] },
  resnet101: { block: Bottleneck, layers: [3, 4, 23, 3] },
  resnet152: { block: Bottleneck, layers: [3, 8, 36, 3] },
} as const satisfies Record<string, { block: BlockType; layers: readonly [number, number, number, number] }>;

type ResNetName = keyof typeof STAGES;

function resnet(name: ResNetName, options: ResNetOptions): ResNet {
  const { block, layers } = STAGES[name];
  return new ResNet(block, layers, options);
}

export const resnet18 = (options: ResNetOptions = {}): ResNet => resnet('resnet18', options);
export const resnet34 = (options: ResNetOptions = {}): ResNet => resnet('resnet34', options);
export const resnet50 = (options: ResNetOptions = {}): ResNet => resnet('resnet50', options);
export const resnet101 = (options: ResNetOptions = {}): ResNet => resnet('resnet101', options);
export const resnet152 = (options: ResNetOptions = {}): ResNet => resnet('resnet152', options);

/** torchvision's published figures for the IMAGENET1K_V1 weights (params and GMACs at 224x224). */
const PUBLISHED: Record<ResNetName, { params: number; gmacs: number }> = {
  resnet18: { params: 11_689_512, gmacs: 1.814 },
  resnet34: { params: 21_797_672, gmacs: 3.664 },
  resnet50: { params: 25_557_032, gmacs: 4.089 },
  resnet101: { params: 44_549_160, gmacs: 7.801 },
  resnet152: { params: 60_192_808, gmacs: 11.514 },
};

for (const name of Object.keys(STAGES) as ResNetName[]) {
  const { block, layers } = STAGES[name];
  const depth = name.slice('resnet'.length);
  registerModel({
    name,
    task: 'classification',
    family: 'resnet',
    description: `ResNet-${depth} (He et al. 2015), ${block === BasicBlock ? 'basic' : 'bottleneck'} blocks ${layers.join('-')}, stride on the 3x3 as torchvision`,
    inputShape: [224, 224, 3],
    // Every stride-2 layer is padded, so even a 1x1 input reaches the global pool as 1x1.
    minInputSize: 1,
    numClasses: 1000,
    ...imagenetEval(224),
    reference: { ...PUBLISHED[name], source: 'torchvision 0.14 model metadata (IMAGENET1K_V1)' },
    create: (options = {}) => resnet(name, options as ResNetOptions),
  });
}
