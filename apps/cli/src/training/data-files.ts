import { statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type Module, type ModelEntry, type Preprocessing, crossEntropy, listModels, trainStep } from '@convkit/core';
import { initialiseClassifier } from '@convkit/classifiers';
import { CenterCrop, Compose, DataError, DataLoader, type Dataset, IdxDataset, ImageFolder, RandomHorizontalFlip, Resize, type Skipped, ToTensor, type Transform } from '@convkit/data';
import { CliError } from '../cli-error.js';
import { type DataSet, type Trainer, type TrainSettings, epochSeed, yieldToEventLoop } from './trainer.js';

export type DataFormat = 'image-folder' | 'idx' | 'voc' | 'coco';
export type Split = 'train' | 'val' | 'test';

/** The splits an image folder may hold, torchvision's ImageNet layout: root/train/<class>/..., root/val/<class>/... */
const SPLIT_FOLDERS: readonly Split[] = ['train', 'val', 'test'];

const isFolder = (path: string) => statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;

/**
 * The format of a data set from its path alone: a COCO annotations JSON, a VOC root (Annotations/ and
 * JPEGImages/), a folder of MNIST-format IDX files, or a folder of class folders (ImageFolder).
 */
export function dataFormat(path: string, option: string): DataFormat {
  const info = statSync(path, { throwIfNoEntry: false });
  if (!info) throw new CliError(`${option} '${path}': no such file or folder`);
  if (info.isFile()) {
    if (path.toLowerCase().endsWith('.json')) return 'coco';
    throw new CliError(`${option} '${path}' is a file but not a COCO annotations .json; give a folder of class folders, a folder of IDX files, a VOC root or a COCO JSON`);
  }
  if (!info.isDirectory()) throw new CliError(`${option} '${path}' is neither a file nor a folder`);
  if (isFolder(join(path, 'Annotations')) && isFolder(join(path, 'JPEGImages'))) return 'voc';
  if (IdxDataset.hasSplit(path, 'train') || IdxDataset.hasSplit(path, 'test')) return 'idx';
  return 'image-folder';
}

/** A data problem as the CLI reports it: one line, exit 3. */
export function opened<T>(open: () => T): T {
  try {
    return open();
  } catch (error) {
    if (error instanceof DataError) throw new CliError(error.message);
    throw error;
  }
}

/**
 * One split of a classification data set on disk. IDX: train-* for 'train', t10k-* otherwise. An image
 * folder holding train/ and val/ (or test/) folders: that split's folder; any other image folder is one
 * split, whichever is asked for.
 */
export function openClassification(path: string, split: Split, option = '--data'): Dataset {
  const format = dataFormat(path, option);
  if (format === 'idx') {
    const idx = split === 'train' ? 'train' : 'test';
    if (!IdxDataset.hasSplit(path, idx)) throw new CliError(`${option} '${path}' has no ${idx === 'train' ? 'train' : 't10k'}-images-idx3-ubyte for the ${split} split`);
    return opened(() => IdxDataset.openFolder(path, idx));
  }
  if (format !== 'image-folder') {
    throw new CliError(`${option} '${path}' is a ${format === 'voc' ? 'Pascal VOC root' : 'COCO annotations file'}, a detection or segmentation data set; a classifier trains on a folder of class folders or on IDX files`);
  }
  return opened(() => ImageFolder.open(splitFolder(path, split) ?? path));
}

/** The folder of `split` inside an image-folder root that has split folders, else null. */
function splitFolder(root: string, split: Split): string | null {
  const present = SPLIT_FOLDERS.filter((s) => isFolder(join(root, s)));
  if (!present.includes('train') || present.length < 2) return null;
  if (present.includes(split)) return join(root, split);
  // 'val' and 'test' stand in for each other: ImageNet ships val/, many sets test/.
  const other = split === 'val' ? 'test' : split === 'test' ? 'val' : null;
  if (other && present.includes(other)) return join(root, other);
  throw new CliError(`'${root}' has ${present.join('/')} folders but no ${split}/`);
}

/** Whether a VOC root has ImageSets/Main/<split>.txt (boxes) or ImageSets/Segmentation/<split>.txt (masks). */
export const vocHasSplit = (root: string, task: 'detection' | 'segmentation', split: string) =>
  statSync(join(root, 'ImageSets', task === 'detection' ? 'Main' : 'Segmentation', `${split}.txt`), { throwIfNoEntry: false })?.isFile() ?? false;

/** Whether the data set at `path` has a held-out split of its own: IDX t10k-*, or val/ or test/ beside train/. */
export function hasOwnHeldOut(path: string): boolean {
  const format = dataFormat(path, '--data');
  if (format === 'idx') return IdxDataset.hasSplit(path, 'test');
  return format === 'image-folder' && splitFolder(path, 'train') !== null;
}

/**
 * The loader transform of a model's registered evaluation preprocessing, up to ToTensor: Resize and
 * CenterCrop from @convkit/data. Its colour conversion and normalisation follow on the batch (`toModelInput`),
 * as the data package has no grayscale transform and an IDX set's images have one channel.
 */
function loaderTransform(p: Preprocessing): Transform {
  const steps: Transform[] = [];
  if (p.resize !== undefined) steps.push(new Resize(typeof p.resize === 'number' ? p.resize : [p.resize[0], p.resize[1]]));
  if (p.crop) steps.push(new CenterCrop([p.crop[0], p.crop[1]]));
  steps.push(new ToTensor());
  return new Compose(steps);
}

/**
 * A batch in [0, 1] -> the model's input: channels converted to the preprocessing's colour (grey as
 * torchvision's rgb_to_grayscale, grey repeated to RGB), then (x - mean) / std.
 * images: [N, H, W, C] float32 -> [N, H, W, 1 or 3].
 */
export function toModelInput(images: Float32Array, shape: readonly [number, number, number, number], p: Preprocessing): tf.Tensor4D {
  return tf.tidy(() => {
    let x = tf.tensor4d(images, [...shape]);
    const channels = p.colour === 'grey' ? 1 : 3;
    if (shape[3] !== channels) {
      x = channels === 1 ? tf.sum(tf.mul(x, tf.tensor1d([0.2989, 0.587, 0.114])), -1, true) : tf.tile(x, [1, 1, 1, 3]);
    }
    return tf.div(tf.sub(x, tf.tensor1d([...p.mean])), tf.tensor1d([...p.std])) as tf.Tensor4D;
  });
}

export interface LoaderSettings {
  batchSize: number;
  shuffle?: boolean;
  seed?: number;
  dropLast?: boolean;
  /** Leave corrupt images out (listed in `onSkipped` after each pass) instead of stopping at the first. */
  skipCorrupt?: boolean;
  /** Called after each pass over the data with the images it left out, when there were any. */
  onSkipped?: (skipped: readonly Skipped[]) => void;
}

/** A loader over one split, through the entry's preprocessing; shuffled (by seed and epoch) for training. */
export function classificationLoader(dataset: Dataset, entry: ModelEntry, settings: LoaderSettings): DataLoader {
  if (!entry.preprocessing) throw new CliError(`${entry.name} declares no preprocessing in the model registry, so its images cannot be prepared`);
  const { skipCorrupt, onSkipped, ...options } = settings;
  return new DataLoader(dataset, {
    ...options,
    transform: loaderTransform(entry.preprocessing),
    onCorrupt: skipCorrupt ? 'skip' : 'error',
    onProgress: (p) => {
      if (p.done && p.skipped.length) onSkipped?.(p.skipped);
    },
  });
}

/** One line on the images a pass left out: how many, and the first with its reason. */
export const skippedNote = (what: string, skipped: readonly Skipped[]) =>
  `  note: ${what} skipped ${skipped.length} corrupt image${skipped.length === 1 ? '' : 's'} (the first: ${skipped[0]!.reason})`;

export interface ClassificationScores {
  /** Fractions of images whose class is the top-1 / among the top-5 predictions. */
  top1: number;
  top5: number;
  count: number;
}

/** Top-1 and top-5 accuracy of `model` in eval mode over every batch of `loader`. */
export async function scoreClassifier(model: Module<any, any>, loader: DataLoader, entry: ModelEntry, numClasses: number): Promise<ClassificationScores> {
  model.eval();
  let [top1, top5, count] = [0, 0, 0];
  for await (const batch of loader.epoch(0)) {
    const labels = batch.labels!;
    for (const label of labels) {
      if (label >= numClasses) throw new CliError(`the data set has label ${label}, but the model has ${numClasses} classes; train it on this data set's classes first`);
    }
    const x = toModelInput(batch.images as Float32Array, batch.shape!, entry.preprocessing!);
    const { indices } = tf.tidy(() => tf.topk(model.call(x) as tf.Tensor2D, Math.min(5, numClasses)));
    x.dispose();
    const ranked = (await indices.data()) as Int32Array;
    const k = indices.shape[1]!;
    indices.dispose();
    for (let i = 0; i < labels.length; i++) {
      const best = ranked.subarray(i * k, (i + 1) * k);
      if (best[0] === labels[i]) top1++;
      if (best.includes(labels[i]!)) top5++;
    }
    count += labels.length;
    await yieldToEventLoop();
  }
  return { top1: top1 / count, top5: top5 / count, count };
}

/**
 * A classification data set from files, for `convkit train --data <path> [--val <path>]`: an image
 * folder or IDX files, read lazily and decoded in worker threads by @convkit/data, through the model's
 * evaluation preprocessing (no augmentation). Held out: --val, else the set's own test split, else
 * nothing, and the metric is then the training accuracy. A corrupt image stops the run, naming the file,
 * or with `skipCorrupt` is left out and counted after each pass.
 */
export function filesDataSet(path: string, valPath?: string, skipCorrupt = false): DataSet {
  const train = openClassification(path, 'train');
  if (train.length === 0) throw new CliError(`--data '${path}' holds no images`);
  const held = valPath !== undefined ? openClassification(valPath, 'val', '--val') : hasOwnHeldOut(path) ? openClassification(path, 'test') : null;
  const format = dataFormat(path, '--data');
  // Image folders number their classes by sorted folder name, so the held-out folders must be the same ones.
  const sameClasses = held === null || (held.spec?.kind === 'Idx' ? held.classes.length <= train.classes.length : held.classes.join('\n') === train.classes.join('\n'));
  if (!sameClasses) {
    throw new CliError(`the held-out data's ${held!.classes.length} classes (${held!.classes.slice(0, 4).join(', ')}, ...) are not the training data's ${train.classes.length} (${train.classes.slice(0, 4).join(', ')}, ...); give both the same class folders`);
  }
  const name = resolve(path);
  const data: DataSet = {
    name,
    fileStem: basename(name).replace(/[^A-Za-z0-9._-]+/g, '_') || 'data',
    description: `${format === 'idx' ? 'IDX files' : 'an image folder'}, ${train.length} images in ${train.classes.length} classes` +
      (held ? `, ${held.length} held out${valPath ? ` from ${valPath}` : ''}` : ', none held out (the metric is on the training images)'),
    classes: train.classes,
    task: 'classification',
    trainCount: train.length,
    models: () => listModels({ task: 'classification' }).map((e) => e.name),
    rejects: (entry) => (entry.task === 'classification' ? null : `${path} is a classification data set; ${entry.name} is a ${entry.task} model`),
    defaults: () => ({ batchSize: 32, learningRate: 1e-3 }),
    initialise: initialiseClassifier,
    async prepare(model: Module<any, any>, entry: ModelEntry, settings: TrainSettings): Promise<Trainer> {
      const note = (what: string) => (skipped: readonly Skipped[]) => console.log(skippedNote(what, skipped));
      const trainLoader = classificationLoader(train, entry, {
        batchSize: settings.batchSize, shuffle: true, seed: settings.seed, dropLast: true, skipCorrupt, onSkipped: note('training'),
      });
      const heldLoader = classificationLoader(held ?? train, entry, { batchSize: Math.max(settings.batchSize, 64), skipCorrupt, onSkipped: note('scoring') });
      return {
        metricName: held ? 'held-out accuracy' : 'train accuracy',
        async trainEpoch(epoch, optimizer, onStep) {
          model.train();
          const stepLosses: number[] = [];
          let sum = 0;
          const total = trainLoader.length;
          for await (const batch of trainLoader.epoch(epochSeed(settings.seed, epoch))) {
            const x = toModelInput(batch.images as Float32Array, batch.shape!, entry.preprocessing!);
            const y = tf.tensor1d(batch.labels!, 'int32');
            const loss = await trainStep(model, optimizer, () => crossEntropy(model.call(x) as tf.Tensor2D, y));
            tf.dispose([x, y]);
            stepLosses.push(loss);
            sum += loss;
            onStep(stepLosses.length, total, sum / stepLosses.length);
            await yieldToEventLoop();
          }
          return { loss: sum / stepLosses.length, stepLosses };
        },
        evaluate: async () => (await scoreClassifier(model, heldLoader, entry, train.classes.length)).top1,
        dispose() {
          void trainLoader.close();
          void heldLoader.close();
        },
      };
    },
  };
  return data;
}

/**
 * The training loader of a detection or segmentation set from files: shuffled by seed and epoch, each
 * image (with its boxes or mask) resized to the model's input and flipped at random, corrupt images
 * stopping the run or, with `skipCorrupt`, left out and counted after each pass.
 */
export function augmentedTrainLoader(dataset: Dataset, [height, width]: readonly number[], settings: TrainSettings, skipCorrupt: boolean): DataLoader {
  return new DataLoader(dataset, {
    batchSize: settings.batchSize, shuffle: true, seed: settings.seed, dropLast: true,
    transform: new Compose([new Resize([height!, width!]), new RandomHorizontalFlip()]),
    onCorrupt: skipCorrupt ? 'skip' : 'error',
    onProgress: (p) => {
      if (p.done && p.skipped.length) console.log(skippedNote('training', p.skipped));
    },
  });
}
