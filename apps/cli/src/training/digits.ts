import * as tf from '@tensorflow/tfjs-core';
import { type Module, type ModelEntry, listModels } from '@convkit/core';
import { classifierAccuracy, classifierEpoch, digitsTensors, initialiseClassifier, loadDigits, splitDigits } from '@convkit/classifiers';
import { type DataSet, type Trainer, type TrainSettings, epochSeed, shuffledOrder, yieldToEventLoop } from './trainer.js';

/** Inputs larger than this would only blow up 8x8 digits; the 224-pixel ImageNet models are left out. */
const MAX_INPUT = 64;

/**
 * scikit-learn's 8x8 handwritten digits (1,438 train, 359 test), upscaled to the model's input size, trained
 * with the steps of the lenet5 recipe in @convkit/classifiers (the one behind the bundled weights).
 */
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
  initialise: initialiseClassifier,
  async prepare(model: Module<any, any>, entry: ModelEntry, settings: TrainSettings): Promise<Trainer> {
    const { train, test } = splitDigits(await loadDigits());
    const trainSet = digitsTensors(train, entry.inputShape);
    const testSet = digitsTensors(test, entry.inputShape);
    return {
      metricName: 'test accuracy',
      async trainEpoch(epoch, optimizer, onStep) {
        const order = shuffledOrder(train.count, epochSeed(settings.seed, epoch));
        const stepLosses = await classifierEpoch(model, trainSet.images, trainSet.labels, optimizer, order, settings.batchSize, async (done, total, loss) => {
          onStep(done, total, loss);
          await yieldToEventLoop();
        });
        return { loss: stepLosses.reduce((a, b) => a + b, 0) / stepLosses.length, stepLosses };
      },
      evaluate: () => classifierAccuracy(model, testSet.images, test.labels),
      dispose() {
        tf.dispose([trainSet.images, trainSet.labels, testSet.images, testSet.labels]);
      },
    };
  },
};
