import { type Module, type ModelEntry, deterministicStateDict } from '@convkit/core';
import { SHAPES_RECIPES, SHAPE_CLASSES, evaluateDetections, isDetector, shapesSplits } from '@convkit/detection';
import { progressBar } from '../progress.js';
import { type DataSet, type Trainer, type TrainSettings, epochSeed, mean } from './trainer.js';

const TRAIN_COUNT = 192;
const TEST_COUNT = 64;
const TRAINABLE = [...SHAPES_RECIPES.keys()];

/**
 * The synthetic detection shapes of @convkit/detection (`shapesSplits`): 192 training and 64 test images
 * of 64x64, one to four discs, squares and triangles each. Trained with the package's recipes
 * (`SHAPES_RECIPES`), which the bundled weights come from too.
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
  defaults: (entry: ModelEntry) => {
    const recipe = SHAPES_RECIPES.get(entry.name)!;
    return { batchSize: recipe.batchSize, learningRate: recipe.learningRate };
  },
  initialise(model: Module<any, any>, seed: number) {
    model.loadStateDict(deterministicStateDict(model, seed));
  },
  async prepare(model: Module<any, any>, entry: ModelEntry, settings: TrainSettings): Promise<Trainer> {
    if (!isDetector(model)) throw new Error(`${entry.name} is not a Detector (detect and loss)`);
    const recipe = SHAPES_RECIPES.get(entry.name)!;
    const { train, test } = shapesSplits(TRAIN_COUNT, TEST_COUNT);
    let samples = train;
    if (recipe.prepare) {
      const bar = progressBar(recipe.preparation ?? 'preparing', train.length);
      samples = recipe.prepare(train, (done) => bar.update(done, `image ${done}`));
      bar.stop();
    }
    const images = test.map((s) => s.image);
    return {
      metricName: 'test mAP@0.5',
      async trainEpoch(epoch, optimizer, onStep) {
        const stepLosses: number[] = [];
        const [loss] = await recipe.train(model, samples, {
          epochs: 1, batchSize: settings.batchSize, learningRate: settings.learningRate, optimizer, seed: epochSeed(settings.seed, epoch),
          onStep: (step: number, steps: number, stepLoss: number) => {
            stepLosses.push(stepLoss);
            onStep(step + 1, steps, mean(stepLosses));
          },
        });
        return { loss: loss!, stepLosses };
      },
      async evaluate() {
        return evaluateDetections(await model.detect(images), test, { numClasses: SHAPE_CLASSES.length }).map;
      },
      dispose() {},
    };
  },
};
