import * as tf from '@tensorflow/tfjs-core';
import { AdaptiveAvgPool2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential, registerModel } from '@convkit/core';
import { imagenetEval } from '../imagenet-eval.js';

export interface AlexNetOptions {
  numClasses?: number;
  /** Drop probability of the two dropout layers in the classifier. */
  dropout?: number;
}

/**
 * AlexNet as torchvision builds it ("One weird trick", Krizhevsky 2014): a single tower with 64, 192,
 * 384, 256, 256 filters, no LRN, and an adaptive average pool to 6x6 so that any input from 63x63 up works.
 * x: [N, H, W, 3] -> logits [N, numClasses]. Parameter names are torchvision's (`features.0.weight`, ...).
 * Weights keep PyTorch's default initialisation, as torchvision does for AlexNet.
 */
export class AlexNet extends Module {
  readonly features: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly flatten: Flatten;
  readonly classifier: Sequential;

  constructor(options: AlexNetOptions = {}) {
    super();
    const dropout = options.dropout ?? 0.5;
    this.features = this.registerModule('features', new Sequential(
      new Conv2d(3, 64, 11, { stride: 4, padding: 2 }), new ReLU(), new MaxPool2d(3, { stride: 2 }),
      new Conv2d(64, 192, 5, { padding: 2 }), new ReLU(), new MaxPool2d(3, { stride: 2 }),
      new Conv2d(192, 384, 3, { padding: 1 }), new ReLU(),
      new Conv2d(384, 256, 3, { padding: 1 }), new ReLU(),
      new Conv2d(256, 256, 3, { padding: 1 }), new ReLU(), new MaxPool2d(3, { stride: 2 }),
    ));
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(6));
    this.flatten = this.registerModule('flatten', new Flatten());
    this.classifier = this.registerModule('classifier', new Sequential(
      new Dropout(dropout), new Linear(256 * 6 * 6, 4096), new ReLU(),
      new Dropout(dropout), new Linear(4096, 4096), new ReLU(),
      new Linear(4096, options.numClasses ?? 1000),
    ));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.classifier.call(this.flatten.call(this.avgpool.call(this.features.call(x)))));
  }
}

export function alexnet(options: AlexNetOptions = {}): AlexNet {
  return new AlexNet(options);
}

registerModel({
  name: 'alexnet',
  task: 'classification',
  family: 'alexnet',
  description: "AlexNet as torchvision builds it: one tower, no LRN, adaptive pooling to 6x6",
  inputShape: [224, 224, 3],
  minInputSize: 63,
  numClasses: 1000,
  ...imagenetEval(224),
  reference: { params: 61_100_840, gmacs: 0.714, source: 'torchvision 0.14 AlexNet_Weights.IMAGENET1K_V1 metadata' },
  create: (options = {}) => alexnet(options as AlexNetOptions),
});
