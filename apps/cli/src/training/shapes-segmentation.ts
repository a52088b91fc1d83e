import * as tf from '@tensorflow/tfjs-core';
import type { Module, ModelEntry } from '@convkit/core';
import { SHAPE_CLASSES, initialiseFcnTiny, makeShapes, meanIoU } from '@convkit/segmentation';
import { type DataSet, type Trainer, type TrainSettings, crossEntropyEpoch } from './trainer.js';

const SIZE = 32;
const TRAIN_COUNT = 512;
/** The FCNs on VGG16 and ResNet-50 have 35M to 136M parameters: days per epoch on a CPU. */
const TRAINABLE = ['fcn_tiny'];

/**
 * The synthetic shapes scenes of @convkit/segmentation: 512 training and 64 test images of 32x32 (seeds 1
 * and 2), fed as x - 0.5, the normalisation `convkit segment` uses for fcn_tiny.
 */
export const shapesSegmentation: DataSet = {
  name: 'shapes-segmentation',
  description: 'synthetic discs, squares and triangles on textured backgrounds with pixel masks, 512 to train and 64 to test, 32x32',
  classes: SHAPE_CLASSES,
  task: 'segmentation',
  trainCount: TRAIN_COUNT,
  models: () => TRAINABLE,
  rejects(entry: ModelEntry) {
    if (entry.task !== 'segmentation') return `shapes-segmentation is a segmentation data set; ${entry.name} is a ${entry.task} model`;
    if (!TRAINABLE.includes(entry.name)) return `shapes-segmentation trains ${TRAINABLE.join(', ')}; ${entry.name} is too large to train here`;
    return null;
  },
  defaults: () => ({ batchSize: 8, learningRate: 5e-3 }),
  initialise: (model: Module<any, any>, seed: number) => initialiseFcnTiny(model, seed),
  async prepare(model: Module<any, any>, _entry: ModelEntry, settings: TrainSettings): Promise<Trainer> {
    const train = makeShapes({ count: TRAIN_COUNT, size: SIZE, seed: 1 });
    const test = makeShapes({ count: 64, size: SIZE, seed: 2 });
    const classes = SHAPE_CLASSES.length;
    const trainImages = tf.tidy(() => tf.sub(tf.tensor4d(train.images, [train.count, SIZE, SIZE, 3]), 0.5));
    const trainMasks = tf.tensor2d(train.masks, [train.count, SIZE * SIZE], 'int32');
    const testImages = tf.tidy(() => tf.sub(tf.tensor4d(test.images, [test.count, SIZE, SIZE, 3]), 0.5));
    return {
      metricName: 'test mean IoU',
      trainEpoch: (epoch, optimizer, onStep) => crossEntropyEpoch(model, trainImages, trainMasks, classes, settings, epoch, optimizer, onStep),
      async evaluate() {
        model.eval();
        const predicted = tf.tidy(() => tf.argMax(model.call(testImages) as tf.Tensor, -1));
        const classMap = (await predicted.data()) as Int32Array;
        predicted.dispose();
        return meanIoU(test.masks, classMap, { numClasses: classes });
      },
      dispose() {
        tf.dispose([trainImages, trainMasks, testImages]);
      },
    };
  },
};
