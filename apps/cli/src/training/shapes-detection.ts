import { type Module, type ModelEntry, deterministicStateDict } from '@convkit/core';
import {
  type DetectionSample, FastRCNN, SHAPE_CLASSES, Yolo, evaluateDetections, isDetector, regionProposals, shapesSplits, trainDetector, trainYolo,
} from '@convkit/detection';
import { progressBar } from '../progress.js';
import { type DataSet, type Trainer, type TrainSettings, epochSeed, mean } from './trainer.js';

const TRAIN_COUNT = 192;
const TEST_COUNT = 64;
/** yolov1 (272M parameters, 448x448) and rcnn_small (SVMs fitted by its own `fit`) are left out. */
const TRAINABLE = ['fasterrcnn_small', 'fastrcnn_small', 'yolo_tiny'];

/**
 * The synthetic detection shapes of @convkit/detection (`shapesSplits`): 192 training and 64 test images
 * of 64x64, one to four discs, squares and triangles each. Trained with the package's own loops,
 * `trainDetector` (Adam over the model's multi-task loss) and `trainYolo`.
 */
export const shapesDetection: DataSet = {
  name: 'shapes-detection',
  description: 'synthetic discs, squares and triangles with boxes, 192 to train and 64 to test, 64x64',
  classes: SHAPE_CLASSES,
  task: 'detection',
  models: () => TRAINABLE,
  trainCount: TRAIN_COUNT,
  rejects(entry: ModelEntry) {
    if (entry.task !== 'detection') return `shapes-detection is a detection data set; ${entry.name} is a ${entry.task} model`;
    if (!TRAINABLE.includes(entry.name)) return `shapes-detection trains ${TRAINABLE.join(', ')}; not ${entry.name}`;
    return null;
  },
  defaults: (entry: ModelEntry) => (entry.name === 'yolo_tiny' ? { batchSize: 16, learningRate: 3e-3 } : { batchSize: 4, learningRate: 2e-3 }),
  initialise(model: Module<any, any>, seed: number) {
    model.loadStateDict(deterministicStateDict(model, seed));
  },
  async prepare(model: Module<any, any>, entry: ModelEntry, settings: TrainSettings): Promise<Trainer> {
    if (!isDetector(model)) throw new Error(`${entry.name} is not a Detector (detect and loss)`);
    const { train, test } = shapesSplits(TRAIN_COUNT, TEST_COUNT);
    let samples: readonly DetectionSample[] = train;
    if (model instanceof FastRCNN) {
      // Fast R-CNN learns on selective-search proposals, computed once per training image.
      const bar = progressBar('selective search', train.length);
      samples = train.map((s, i) => {
        bar.update(i + 1, `image ${i + 1}`);
        return { ...s, proposals: regionProposals(s.image) };
      });
      bar.stop();
    }
    const images = test.map((s) => s.image);
    return {
      metricName: 'test mAP@0.5',
      async trainEpoch(epoch, optimizer, onStep) {
        const stepLosses: number[] = [];
        const options = {
          epochs: 1, batchSize: settings.batchSize, optimizer, seed: epochSeed(settings.seed, epoch),
          onStep: (step: number, steps: number, loss: number) => {
            stepLosses.push(loss);
            onStep(step + 1, steps, mean(stepLosses));
          },
        };
        const [loss] = model instanceof Yolo
          ? await trainYolo(model, samples, { ...options, objectness: 'one' })
          : await trainDetector(model, samples, options);
        return { loss: loss!, stepLosses };
      },
      async evaluate() {
        return evaluateDetections(await model.detect(images), test, { numClasses: SHAPE_CLASSES.length }).map;
      },
      dispose() {},
    };
  },
};
