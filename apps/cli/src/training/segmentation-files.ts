import { basename, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type Module, type ModelEntry, listModels, trainStep } from '@convkit/core';
import { type Batch, DataLoader, type Skipped, VocDataset } from '@convkit/data';
import { type Segmenter, FCN_TINY_SHAPES_RECIPE, IGNORE_INDEX, confusionMatrix, initialiseFcnTiny, isSegmenter, totalSegmentationLoss } from '@convkit/segmentation';
import { CliError } from '../cli-error.js';
import { type Split, augmentedTrainLoader, dataFormat, opened, skippedNote, vocHasSplit } from './data-files.js';
import { type DataSet, type Trainer, type TrainSettings, epochSeed, mean, yieldToEventLoop } from './trainer.js';

export interface SegmentationScores {
  /** Correct pixels over counted ones; pixels whose true label is 255 (VOC's void border) do not count. */
  pixelAccuracy: number;
  /** The mean of `perClassIou` over the classes present in the truth or the prediction (nanmean). */
  meanIou: number;
  /** Per class name: IoU, null for a class absent from both truth and prediction. */
  perClassIou: Record<string, number | null>;
  count: number;
}

/**
 * One split of a segmentation data set on disk: a VOC root's ImageSets/Segmentation/<split>.txt with
 * its SegmentationClass palette PNGs. COCO's instances JSON is read for boxes only.
 */
export function openSegmentation(path: string, split: Split, option = '--data'): VocDataset {
  const format = dataFormat(path, option);
  if (format === 'coco') throw new CliError(`${option} '${path}' is a COCO annotations file, read for detection boxes; a segmentation model trains and is scored on a VOC root's SegmentationClass masks`);
  if (format !== 'voc') {
    throw new CliError(`${option} '${path}' is ${format === 'idx' ? 'a folder of IDX files' : 'an image folder'}, a classification data set; a segmentation model trains and is scored on a VOC root's SegmentationClass masks`);
  }
  return opened(() => VocDataset.open(path, { split, task: 'segmentation' }));
}

/** Class maps [N * H * W] for a stacked batch (images uint8 [N, H, W, 3]): what the model predicts, or any stand-in. */
export type SegmentBatch = (batch: Batch) => Promise<ArrayLike<number>>;

/** A segmenter's `segment` on a stacked batch, in eval mode, at the images' own size. */
export const segmentWith = (model: Segmenter<any>): SegmentBatch => async (batch) => {
  const x = tf.tidy(() => tf.div(tf.tensor4d(batch.images!, batch.shape!, 'float32'), 255) as tf.Tensor4D);
  try {
    const predictions = await model.segment(x);
    const [n, height, width] = batch.shape!;
    const out = new Int32Array(n * height * width);
    predictions.forEach((p, i) => out.set(p.classMap, i * height * width));
    return out;
  } finally {
    x.dispose();
  }
};

/** A loader over every image at its own size (one at a time, as VOC's images differ in size), for scoring. */
export function scoringLoader(data: VocDataset, skipCorrupt: boolean, onSkipped: (skipped: readonly Skipped[]) => void): DataLoader {
  return new DataLoader(data, {
    batchSize: 1, onCorrupt: skipCorrupt ? 'skip' : 'error',
    onProgress: (p) => {
      if (p.done && p.skipped.length) onSkipped(p.skipped);
    },
  });
}

/**
 * Pixel accuracy and IoU per class from one confusion matrix summed over every image the loader
 * delivers, as torchvision's reference `ConfusionMatrix` and the FCN paper compute them; 255 is void.
 */
export async function scoreSegmentation(classes: readonly string[], loader: DataLoader, segment: SegmentBatch): Promise<SegmentationScores> {
  const n = classes.length;
  const confusion = new Float64Array(n * n);
  let count = 0;
  for await (const batch of loader.epoch(0)) {
    const predicted = await segment(batch);
    const masks = batch.masks!;
    for (let i = 0; i < masks.length; i++) {
      const t = masks[i]!;
      if (t !== IGNORE_INDEX && t >= n) throw new CliError(`a mask of the data set holds class ${t}, but the model has ${n} classes; train it on this data set's classes first`);
    }
    confusionMatrix(masks, predicted, { numClasses: n }).forEach((v, i) => (confusion[i]! += v));
    count += batch.indices.length;
    await yieldToEventLoop();
  }
  let correct = 0, total = 0;
  const ious = classes.map((_, c) => {
    let row = 0, column = 0;
    for (let k = 0; k < n; k++) {
      row += confusion[c * n + k]!;
      column += confusion[k * n + c]!;
    }
    const tp = confusion[c * n + c]!;
    correct += tp;
    total += row;
    return row + column - tp === 0 ? NaN : tp / (row + column - tp);
  });
  const present = ious.filter((v) => !Number.isNaN(v));
  return {
    pixelAccuracy: correct / total,
    meanIou: present.reduce((a, b) => a + b, 0) / present.length,
    perClassIou: Object.fromEntries(classes.map((name, c) => [name, Number.isNaN(ious[c]!) ? null : ious[c]!])),
    count,
  };
}

/**
 * A VOC segmentation data set from files for `convkit train --data <VOC root> [--val <VOC root>]`:
 * ImageSets/Segmentation/train.txt, images and palette masks decoded in worker threads, resized to the
 * model's input size (image bilinear, mask nearest), flipped at random (p = 0.5, seeded), trained on the
 * Segmenter's per-pixel cross entropy with 255 ignored. Held out: --val, else the root's val split, else
 * nothing (the metric is then on the training images); scored at each image's own size.
 */
export function segmentationFilesDataSet(path: string, valPath: string | undefined, skipCorrupt: boolean): DataSet {
  const train = openSegmentation(path, 'train');
  const held = valPath !== undefined ? openSegmentation(valPath, 'val', '--val') : vocHasSplit(path, 'segmentation', 'val') ? openSegmentation(path, 'val') : null;
  const name = resolve(path);
  return {
    name,
    fileStem: basename(name).replace(/[^A-Za-z0-9._-]+/g, '_') || 'data',
    description: `a Pascal VOC root, ${train.length} images with masks of ${train.classes.length} classes` +
      (held ? `, ${held.length} held out${valPath ? ` from ${valPath}` : ''}` : ', none held out (the metric is on the training images)'),
    classes: train.classes,
    task: 'segmentation',
    trainCount: train.length,
    models: () => listModels({ task: 'segmentation' }).map((e) => e.name),
    rejects: (entry) => (entry.task === 'segmentation' ? null : `${path} is read as a segmentation data set here; ${entry.name} is a ${entry.task} model`),
    defaults: (entry) => (entry.name === 'fcn_tiny' ? { batchSize: FCN_TINY_SHAPES_RECIPE.batchSize, learningRate: FCN_TINY_SHAPES_RECIPE.learningRate } : { batchSize: 4, learningRate: 1e-4 }),
    // Seeded weights for every layer but the upsampling ones, which keep FCN's bilinear start.
    initialise: initialiseFcnTiny,
    async prepare(model: Module<any, any>, entry: ModelEntry, settings: TrainSettings): Promise<Trainer> {
      if (!isSegmenter(model)) throw new CliError(`${entry.name} is not a Segmenter (segment and loss); it cannot train on masks`);
      const [height, width] = entry.inputShape;
      const note = (what: string) => (skipped: readonly Skipped[]) => console.log(skippedNote(what, skipped));
      const trainLoader = augmentedTrainLoader(train, [height, width], settings, skipCorrupt);
      const scored = held ?? train;
      const heldLoader = scoringLoader(scored, skipCorrupt, note('scoring'));
      return {
        metricName: held ? 'held-out mean IoU' : 'train mean IoU',
        async trainEpoch(epoch, optimizer, onStep) {
          model.train();
          const stepLosses: number[] = [];
          const total = trainLoader.length;
          for await (const batch of trainLoader.epoch(epochSeed(settings.seed, epoch))) {
            const [n, h, w] = batch.shape!;
            const x = tf.tidy(() => tf.div(tf.tensor4d(batch.images!, batch.shape!, 'float32'), 255) as tf.Tensor4D);
            const y = tf.tensor3d(Int32Array.from(batch.masks!), [n, h, w], 'int32');
            const loss = await trainStep(model, optimizer, () => totalSegmentationLoss(model.loss(x, y)));
            tf.dispose([x, y]);
            stepLosses.push(loss);
            onStep(stepLosses.length, total, mean(stepLosses));
            await yieldToEventLoop();
          }
          return { loss: mean(stepLosses), stepLosses };
        },
        evaluate: async () => (await scoreSegmentation(train.classes, heldLoader, segmentWith(model))).meanIou,
        dispose() {
          void trainLoader.close();
          void heldLoader.close();
        },
      };
    },
  };
}
