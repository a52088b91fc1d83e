import * as tf from '@tensorflow/tfjs-core';
import { type Module, type ModelEntry, deterministicStateDict, listModels } from '@convkit/core';
import { loadDigits, splitDigits } from '@convkit/classifiers';
import { type DataSet, type Trainer, type TrainSettings, crossEntropyEpoch } from './trainer.js';

/** Inputs larger than this would only blow up 8x8 digits; the 224-pixel ImageNet models are left out. */
const MAX_INPUT = 64;

/**
 * Grey images in [0, 1] -> a model's input: resized bilinearly to height x width (tfjs' default sampling,
 * which the bundled lenet5-digits weights were trained with) and repeated over `channels`.
 * grey: [N, h, w, 1] -> [N, height, width, channels].
 * Training on digits and `convkit classify` with digits weights both go through here.
 */
export function greyToInput(grey: tf.Tensor4D, height: number, width: number, channels: number): tf.Tensor4D {
  return tf.tidy(() => {
    const resized = grey.shape[1] === height && grey.shape[2] === width ? grey : tf.image.resizeBilinear(grey, [height, width]);
    return (channels === 1 ? tf.clone(resized) : tf.tile(resized, [1, 1, 1, channels])) as tf.Tensor4D;
  });
}

/** scikit-learn's 8x8 handwritten digits (1,438 train, 359 test), upscaled to the model's input size. */
export const digits: DataSet = {
  name: 'digits',
  description: "scikit-learn's 8x8 handwritten digits, 1,438 to train and 359 to test, upscaled to the model's input",
  classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  task: 'classification',
  trainCount: 1438,
  models: () => listModels({ task: 'classification' }).filter((e) => !digits.rejects(e)).map((e) => e.name),
  rejects(entry: ModelEntry) {
    if (entry.task !== 'classification') return `digits is a classification data set; ${entry.name} is a ${entry.task} model`;
    if (entry.inputShape[0] > MAX_INPUT) return `${entry.name} takes ${entry.inputShape[0]}x${entry.inputShape[1]} images; digits trains the small classifiers (input up to ${MAX_INPUT} pixels)`;
    return null;
  },
  defaults: () => ({ batchSize: 32, learningRate: 2e-3 }),
  initialise(model: Module<any, any>, seed: number) {
    model.loadStateDict(deterministicStateDict(model, seed));
  },
  async prepare(model: Module<any, any>, entry: ModelEntry, settings: TrainSettings): Promise<Trainer> {
    const { train, test } = splitDigits(await loadDigits());
    const [height, width, channels] = entry.inputShape;
    const toInput = (images: Float32Array, count: number) => tf.tidy(() => greyToInput(tf.tensor4d(images, [count, 8, 8, 1]), height, width, channels));
    const trainImages = toInput(train.images, train.count);
    const trainLabels = tf.tensor1d(train.labels, 'int32');
    const testImages = toInput(test.images, test.count);
    return {
      metricName: 'test accuracy',
      trainEpoch: (epoch, optimizer, onStep) => crossEntropyEpoch(model, trainImages, trainLabels, 10, settings, epoch, optimizer, onStep),
      async evaluate() {
        model.eval();
        const predicted = tf.tidy(() => tf.argMax(model.call(testImages) as tf.Tensor2D, 1));
        const values = await predicted.data();
        predicted.dispose();
        let correct = 0;
        for (let i = 0; i < test.count; i++) if (values[i] === test.labels[i]) correct++;
        return correct / test.count;
      },
      dispose() {
        tf.dispose([trainImages, trainLabels, testImages]);
      },
    };
  },
};
