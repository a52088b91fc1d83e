import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@convkit/core';
import { type ResNet, resnet50 } from '@convkit/classifiers';
import { FeaturePyramidNetwork } from '../ops/feature-pyramid-network.js';
import { FrozenBatchNorm2d } from '../ops/frozen-batch-norm2d.js';

/** ResNet stages from the last to the first that train, torchvision's `_resnet_fpn_extractor` order. */
const TRAINABLE_ORDER = ['layer4', 'layer3', 'layer2', 'layer1', 'conv1'] as const;

/**
 * torchvision's BackboneWithFPN over a ResNet: `body` holds the ResNet's stem and four stages (its pool
 * and fc are dropped, as IntermediateLayerGetter does), `fpn` the pyramid over layer1..layer4 at 256
 * channels. x: [N, H, W, 3] (H, W multiples of 32) -> levels '0'..'3' at strides 4..32 and 'pool' at 64,
 * each [N, H_l, W_l, 256].
 */
export class BackboneWithFPN extends Module<tf.Tensor, tf.Tensor4D[]> {
  readonly body: ResNetBody;
  readonly fpn: FeaturePyramidNetwork;
  readonly outChannels = 256;

  constructor(resnet: ResNet, options: { trainableLayers?: number; initWeights?: boolean } = {}) {
    super();
    this.body = this.registerModule('body', new ResNetBody(resnet));
    const c = resnet.numFeatures / 8;
    this.fpn = this.registerModule('fpn', new FeaturePyramidNetwork([c, 2 * c, 4 * c, 8 * c], this.outChannels, options));
    const trainable = options.trainableLayers ?? 3;
    if (!(Number.isInteger(trainable) && trainable >= 0 && trainable <= 5)) throw new Error(`trainableLayers must be an integer 0..5, got ${trainable}`);
    const train: string[] = TRAINABLE_ORDER.slice(0, trainable);
    if (trainable === 5) train.push('bn1');
    for (const [name, variable] of this.body.namedParameters()) variable.trainable = train.some((layer) => name.startsWith(layer));
  }

  forward(x: tf.Tensor): tf.Tensor4D[] {
    return tf.tidy(() => this.fpn.call(this.body.call(x)));
  }
}

/** A ResNet's conv1 .. layer4 under their own names, returning the four stage outputs (finest first). */
export class ResNetBody extends Module<tf.Tensor, tf.Tensor4D[]> {
  readonly #stages: Module[];

  constructor(resnet: ResNet) {
    super();
    for (const [name, child] of resnet.namedChildren()) {
      if (['avgpool', 'flatten', 'fc'].includes(name)) child.dispose();
      else this.registerModule(name, child);
    }
    this.#stages = [resnet.conv1, resnet.bn1, resnet.relu, resnet.maxpool, resnet.layer1, resnet.layer2, resnet.layer3, resnet.layer4];
  }

  forward(x: tf.Tensor): tf.Tensor4D[] {
    return tf.tidy(() => {
      const [conv1, bn1, relu, maxpool, ...layers] = this.#stages;
      let h = maxpool!.call(relu!.call(bn1!.call(conv1!.call(x))));
      return layers.map((layer) => (h = layer.call(h)) as tf.Tensor4D);
    });
  }
}

/**
 * torchvision's resnet_fpn_backbone for Faster R-CNN: ResNet-50 with FrozenBatchNorm2d, of which only
 * the last `trainableLayers` stages train (default 3: layer2..layer4), and the FPN on top.
 */
export function resnet50FpnBackbone(options: { trainableLayers?: number; initWeights?: boolean } = {}): BackboneWithFPN {
  const resnet = resnet50({ normLayer: (channels) => new FrozenBatchNorm2d(channels), initWeights: options.initWeights });
  return new BackboneWithFPN(resnet, options);
}
