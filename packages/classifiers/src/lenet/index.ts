import * as tf from '@tensorflow/tfjs-core';
import { AvgPool2d, Conv2d, Flatten, Linear, Module, ReLU, Sequential, registerModel } from '@convkit/core';

/**
 * LeNet-5 (LeCun et al. 1998) as textbooks draw it: C1 conv 5x5x6, S2 2x2 subsampling, C3 conv 5x5x16
 * (fully connected to S2, where the paper used a sparse connection table), S4, C5 conv 5x5x120, F6 84,
 * output 10. ReLU stands in for the paper's scaled tanh. x: [N, 32, 32, 1] -> logits [N, numClasses].
 *
 * Parameters, by hand: C1 5*5*1*6 + 6 = 156; C3 5*5*6*16 + 16 = 2,416; C5 5*5*16*120 + 120 = 48,120;
 * F6 120*84 + 84 = 10,164; output 84*10 + 10 = 850; total 61,706.
 */
export class LeNet5 extends Module {
  readonly features: Sequential;
  readonly classifier: Sequential;

  constructor(options: { numClasses?: number; inChannels?: number } = {}) {
    super();
    this.features = this.registerModule('features', new Sequential(
      new Conv2d(options.inChannels ?? 1, 6, 5), new ReLU(), new AvgPool2d(2),
      new Conv2d(6, 16, 5), new ReLU(), new AvgPool2d(2),
      new Conv2d(16, 120, 5), new ReLU(),
    ));
    this.classifier = this.registerModule('classifier', new Sequential(
      new Flatten(), new Linear(120, 84), new ReLU(), new Linear(84, options.numClasses ?? 10),
    ));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.classifier.call(this.features.call(x)));
  }
}

export function lenet5(options: { numClasses?: number; inChannels?: number } = {}): LeNet5 {
  return new LeNet5(options);
}

registerModel({
  name: 'lenet5',
  task: 'classification',
  family: 'lenet',
  description: 'LeNet-5 (LeCun et al. 1998), the textbook 32x32 digit classifier',
  inputShape: [32, 32, 1],
  minInputSize: 32,
  numClasses: 10,
  // The bundled weights' data set: scikit-learn's digits, light strokes on black, already in [0, 1].
  preprocessing: { colour: 'grey', resize: [32, 32], mean: [0], std: [1] },
  categories: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  reference: { params: 61706, source: 'LeCun et al. 1998, with C3 fully connected (the paper: 60,000 trainable parameters with its sparse C3)' },
  create: (options = {}) => lenet5({ numClasses: options.numClasses, inChannels: options.inChannels }),
});
