import * as tf from '@tensorflow/tfjs-core';
import {
  Conv2d, Dropout, Flatten, LayerInputError, Linear, LocalResponseNorm, MaxPool2d, Module, ReLU, Sequential, normal, registerModel,
} from '@convkit/core';
import { imagenetEval } from '../imagenet-eval.js';

/**
 * The paper's response normalisation, applied within each tower: each GPU normalised only the kernel maps
 * it held, so the channel window never reaches across the tower boundary.
 * x: [N, H, W, C] with C split evenly into `towers` groups.
 */
export class TowerLocalResponseNorm extends LocalResponseNorm {
  constructor(readonly towers: number, size: number, alpha: number, beta: number, k: number) {
    super(size, alpha, beta, k);
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.concat(tf.split(x, this.towers, -1).map((tower) => super.forward(tower)), -1));
  }
}

/**
 * The paper's response normalisation b = a / (k + alpha * sum a^2)^beta with k = 2, n = 5,
 * alpha = 1e-4, beta = 0.75. PyTorch's LocalResponseNorm divides alpha by n, so it takes 5 * 1e-4.
 */
const paperNorm = () => new TowerLocalResponseNorm(2, 5, 5 * 1e-4, 0.75, 2);

export interface AlexNetPaperOptions {
  numClasses?: number;
  dropout?: number;
  /** The paper's initialisation (Gaussian std 0.01, biases 1 in conv2, conv4, conv5, fc6, fc7); default true. */
  initWeights?: boolean;
}

/**
 * AlexNet as Krizhevsky, Sutskever & Hinton (2012) trained it on two GPUs. Each tower holds half the
 * kernels of every layer; the towers exchange activations only at conv3 and the fully-connected layers,
 * so conv2, conv4 and conv5 are grouped convolutions (groups = 2) and conv1, conv3, fc6-fc8 are full.
 * Overlapping max pooling (3x3, stride 2) and response normalisation follow the paper.
 *
 * Input: [N, 227, 227, 3]. The paper says 224x224, but its 55x55x96 first layer needs
 * (227 - 11) / 4 + 1 = 55; from 224 a stride-4 11x11 convolution without padding gives 54.
 * Any side from 227 to 258 gives the 6x6x256 map that fc6 is sized for. -> logits [N, numClasses].
 */
export class AlexNetPaper extends Module {
  readonly features: Sequential;
  readonly flatten: Flatten;
  readonly classifier: Sequential;

  constructor(options: AlexNetPaperOptions = {}) {
    super();
    const dropout = options.dropout ?? 0.5;
    this.features = this.registerModule('features', new Sequential({
      conv1: new Conv2d(3, 96, 11, { stride: 4 }), relu1: new ReLU(), norm1: paperNorm(), pool1: new MaxPool2d(3, { stride: 2 }),
      conv2: new Conv2d(96, 256, 5, { padding: 2, groups: 2 }), relu2: new ReLU(), norm2: paperNorm(), pool2: new MaxPool2d(3, { stride: 2 }),
      conv3: new Conv2d(256, 384, 3, { padding: 1 }), relu3: new ReLU(),
      conv4: new Conv2d(384, 384, 3, { padding: 1, groups: 2 }), relu4: new ReLU(),
      conv5: new Conv2d(384, 256, 3, { padding: 1, groups: 2 }), relu5: new ReLU(), pool5: new MaxPool2d(3, { stride: 2 }),
    }));
    this.flatten = this.registerModule('flatten', new Flatten());
    this.classifier = this.registerModule('classifier', new Sequential({
      fc6: new Linear(256 * 6 * 6, 4096), relu6: new ReLU(), drop6: new Dropout(dropout),
      fc7: new Linear(4096, 4096), relu7: new ReLU(), drop7: new Dropout(dropout),
      fc8: new Linear(4096, options.numClasses ?? 1000),
    }));
    if (options.initWeights ?? true) initPaperWeights(this);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const features = this.features.call(x);
      const [h, w] = [features.shape[1], features.shape[2]];
      if (h !== 6 || w !== 6) {
        throw new LayerInputError(`fc6 takes the 6x6x256 map after pool5, but input [${x.shape}] gives ${h}x${w}: use a 227x227 input (sides 227 to 258 work)`);
      }
      return this.classifier.call(this.flatten.call(features));
    });
  }
}

const BIAS_ONE = new Set(['conv2', 'conv4', 'conv5', 'fc6', 'fc7']);

/** Section 5 of the paper: weights N(0, 0.01^2); biases 1 in conv2, conv4, conv5 and the hidden fully-connected layers, else 0. */
function initPaperWeights(model: AlexNetPaper): void {
  for (const [name, m] of model.namedModules()) {
    if (!(m instanceof Conv2d || m instanceof Linear)) continue;
    const biasValue = BIAS_ONE.has(name.slice(name.lastIndexOf('.') + 1)) ? 1 : 0;
    tf.tidy(() => {
      m.weight.assign(normal(m.weight.shape, 0.01));
      m.bias?.assign(tf.fill(m.bias.shape, biasValue));
    });
  }
}

export function alexnetPaper(options: AlexNetPaperOptions = {}): AlexNetPaper {
  return new AlexNetPaper(options);
}

registerModel({
  name: 'alexnet_paper',
  task: 'classification',
  family: 'alexnet',
  description: "AlexNet as the 2012 paper trained it: two towers (grouped conv2, conv4, conv5), LRN, 227x227 input",
  inputShape: [227, 227, 3],
  minInputSize: 227,
  numClasses: 1000,
  ...imagenetEval(227),
  reference: { source: 'Krizhevsky et al. 2012, Figure 2 and Section 3 (the paper: "60 million parameters"); no torchvision twin' },
  create: (options = {}) => alexnetPaper(options as AlexNetPaperOptions),
});
