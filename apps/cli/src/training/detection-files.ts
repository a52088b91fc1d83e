import { basename, resolve } from 'node:path';
import { type Module, type ModelEntry, deterministicStateDict, listModels } from '@convkit/core';
import {
  type Batch, CocoDataset, type CocoDetection, type CocoGroundTruth, type CocoSummary, DataLoader, type Skipped,
  VocDataset, evaluateCoco, evaluateVoc,
} from '@convkit/data';
import { type DetectionSample, type Detections, type Detector, SHAPES_RECIPES, isDetector, trainDetector } from '@convkit/detection';
import { CliError } from '../cli-error.js';
import { type Split, augmentedTrainLoader, dataFormat, opened, skippedNote, vocHasSplit } from './data-files.js';
import { type DataSet, type Trainer, type TrainSettings, epochSeed, mean, yieldToEventLoop } from './trainer.js';

/** A detection data set from files: VOC Annotations or a COCO instances_*.json. */
export type DetectionFiles = VocDataset | CocoDataset;

/** Which VOC average precision `vocAp` is: VOC2007's 11-point interpolation, or VOC2010's all-points area. */
export type VocApVariant = 'voc2007-11point' | 'voc2010-allpoints';

/** COCO's AP at IoU .50:.05:.95, at .50 and .75, by object area, and AR with 100 detections per image; -1 where nothing could be measured. */
export interface DetectionScores extends Pick<CocoSummary, 'ap' | 'ap50' | 'ap75' | 'apSmall' | 'apMedium' | 'apLarge' | 'ar100'> {
  /** Pascal VOC's mean AP over the classes with objects, at IoU > 0.5; null when no class has one. */
  vocAp: number | null;
  vocApVariant: VocApVariant;
  count: number;
}

/**
 * The VOC AP that a data set is scored with, as py-faster-rcnn's `voc_eval` chooses: 11-point for
 * VOC2007 and earlier (the root's folder name says the year), all-points for VOC2010 on and for COCO.
 */
export function vocApVariant(data: DetectionFiles): VocApVariant {
  if (data.spec.kind !== 'Voc') return 'voc2010-allpoints';
  const year = /VOC(\d{4})/.exec(basename(resolve(data.spec.root)))?.[1];
  return year !== undefined && Number(year) < 2010 ? 'voc2007-11point' : 'voc2010-allpoints';
}

export interface DetectionFilesOptions {
  /** COCO only: the images folder, when it is not the split's folder beside annotations/ (--images). */
  images?: string;
  /** VOC only: keep objects marked difficult (scoring needs them; training leaves them out, as py-faster-rcnn). */
  keepDifficult?: boolean;
}

/**
 * One split of a detection data set on disk: a VOC root's ImageSets/Main/<split>.txt, or a COCO
 * annotations file, which is one split by itself (instances_val2017.json).
 */
export function openDetection(path: string, split: Split, options: DetectionFilesOptions = {}, option = '--data'): DetectionFiles {
  const format = dataFormat(path, option);
  if (format === 'coco') return opened(() => CocoDataset.open(path, options.images === undefined ? {} : { imageDir: options.images }));
  if (format !== 'voc') {
    throw new CliError(`${option} '${path}' is ${format === 'idx' ? 'a folder of IDX files' : 'an image folder'}, a classification data set; a detector trains and is scored on a VOC root or a COCO instances_*.json`);
  }
  return opened(() => VocDataset.open(path, { split, task: 'detection', keepDifficult: options.keepDifficult ?? true }));
}

/** One image's detections to score, boxes in that image's pixels: what the model found, or any stand-in. */
export type DetectBatch = (batch: Batch) => Promise<Detections[]>;

/** A model's `detect` on a batch the loader listed (stack: false): boxes come back in each image's own pixels. */
export const detectWith = (model: Detector): DetectBatch => (batch) => model.detect(batch.list!.map((image) => image as { data: Uint8Array; height: number; width: number }));

/** A loader over every image at its own size, for scoring. */
export function scoringLoader(data: DetectionFiles, batchSize: number, skipCorrupt: boolean, onSkipped: (skipped: readonly Skipped[]) => void): DataLoader {
  return new DataLoader(data, {
    batchSize, stack: false, onCorrupt: skipCorrupt ? 'skip' : 'error',
    onProgress: (p) => {
      if (p.done && p.skipped.length) onSkipped(p.skipped);
    },
  });
}

/**
 * COCO's summary (pycocotools, `evaluateCoco`) and VOC's mean AP (`evaluateVoc`) of the detections
 * `detect` makes for every image the loader delivers (images left out as corrupt are left out of the
 * ground truth too). Each format's own flags carry over to the other's metric: a COCO crowd region is
 * a VOC 'difficult' object (neither counts nor penalises), and a VOC difficult object is a COCO crowd
 * region, whose area is its box's.
 */
export async function scoreDetections(data: DetectionFiles, loader: DataLoader, detect: DetectBatch): Promise<DetectionScores> {
  const coco = data.spec.kind === 'Coco' ? data.spec : null;
  const categoryIds = coco ? coco.categoryIds : data.classes.map((_, i) => i + 1);
  const imageId = (index: number) => (coco ? coco.images[index]!.id : index + 1);
  const delivered = new Set<number>();
  const vocTruth: { boxes: Float32Array; labels: Int32Array; difficult: Uint8Array }[] = [];
  const vocFound: Detections[] = [];
  const cocoFound: CocoDetection[] = [];
  const vocAnnotations: CocoGroundTruth['annotations'] = [];
  for await (const batch of loader.epoch(0)) {
    const found = await detect(batch);
    batch.indices.forEach((index, n) => {
      const id = imageId(index);
      const target = batch.targets?.[n];
      const boxes = target?.boxes ?? new Float32Array(0), labels = target?.labels ?? new Int32Array(0);
      const flagged = target?.difficult ?? target?.crowd ?? new Uint8Array(labels.length);
      delivered.add(id);
      vocTruth.push({ boxes, labels, difficult: flagged });
      vocFound.push(found[n]!);
      if (!coco) {
        labels.forEach((label, k) => {
          const [x1, y1, x2, y2] = boxes.subarray(4 * k, 4 * k + 4) as unknown as [number, number, number, number];
          vocAnnotations.push({ id: vocAnnotations.length + 1, image_id: id, category_id: label + 1, bbox: [x1, y1, x2 - x1, y2 - y1], area: (x2 - x1) * (y2 - y1), iscrowd: flagged[k]! });
        });
      }
      const d = found[n]!;
      d.labels.forEach((label, k) => {
        const [x1, y1, x2, y2] = d.boxes.subarray(4 * k, 4 * k + 4) as unknown as [number, number, number, number];
        cocoFound.push({ image_id: id, category_id: categoryIds[label]!, bbox: [x1, y1, x2 - x1, y2 - y1], score: d.scores[k]! });
      });
    });
    await yieldToEventLoop();
  }
  const truth: CocoGroundTruth = coco
    ? (() => {
      const all = (data as CocoDataset).groundTruth();
      return { categories: all.categories, images: all.images.filter((im) => delivered.has(im.id)), annotations: all.annotations.filter((a) => delivered.has(a.image_id)) };
    })()
    : { images: [...delivered].map((id) => ({ id })), categories: categoryIds.map((id) => ({ id })), annotations: vocAnnotations };
  const summary = evaluateCoco(truth, cocoFound);
  const variant = vocApVariant(data);
  const voc = evaluateVoc(vocFound, vocTruth, { numClasses: data.classes.length, use07Metric: variant === 'voc2007-11point' });
  const { ap, ap50, ap75, apSmall, apMedium, apLarge, ar100 } = summary;
  return { ap, ap50, ap75, apSmall, apMedium, apLarge, ar100, vocAp: Number.isNaN(voc.map) ? null : voc.map, vocApVariant: variant, count: delivered.size };
}

/** A batch the loader stacked (uint8 [N, H, W, 3]) as the detection package's samples; crowd regions and difficult objects left out. */
function samplesOf(batch: Batch): DetectionSample[] {
  const [n, height, width, channels] = batch.shape!;
  const size = height * width * channels;
  return Array.from({ length: n }, (_, i) => {
    const target = batch.targets![i]!;
    const flagged = target.crowd ?? target.difficult;
    const keep = [...target.labels!.keys()].filter((k) => !flagged?.[k]);
    return {
      image: { data: (batch.images as Uint8Array).subarray(i * size, (i + 1) * size), height, width },
      boxes: Float32Array.from(keep.flatMap((k) => [...target.boxes!.subarray(4 * k, 4 * k + 4)])),
      labels: Int32Array.from(keep, (k) => target.labels![k]!),
    };
  });
}

/**
 * A detection data set from files for `convkit train --data <VOC root | instances_*.json> [--val <path>]`:
 * images read lazily and decoded in worker threads, resized to the model's input size with their boxes,
 * flipped at random (p = 0.5, seeded by run, epoch and image), and trained a batch at a time with the
 * model's recipe from @convkit/detection (`SHAPES_RECIPES`: its loss options, Fast R-CNN's proposals)
 * or, for a model without one, on the sum of its losses. Held out: --val, else a VOC root's val split,
 * else nothing (the metric is then on the training images), scored at each image's own size.
 */
export function detectionFilesDataSet(path: string, valPath: string | undefined, skipCorrupt: boolean, images?: string): DataSet {
  const train = openDetection(path, 'train', { images, keepDifficult: false });
  if (train.length === 0) throw new CliError(`--data '${path}' holds no images`);
  const ownVal = train.spec.kind === 'Voc' && vocHasSplit(path, 'detection', 'val');
  const held = valPath !== undefined ? openDetection(valPath, 'val', {}, '--val') : ownVal ? openDetection(path, 'val') : null;
  if (held && held.classes.join('\n') !== train.classes.join('\n')) {
    throw new CliError(`the held-out data's ${held.classes.length} classes (${held.classes.slice(0, 4).join(', ')}, ...) are not the training data's ${train.classes.length} (${train.classes.slice(0, 4).join(', ')}, ...); give both the same categories`);
  }
  const name = resolve(path);
  const format = train.spec.kind === 'Voc' ? 'a Pascal VOC root' : 'COCO annotations';
  return {
    name,
    fileStem: basename(name).replace(/\.json$/, '').replace(/[^A-Za-z0-9._-]+/g, '_') || 'data',
    description: `${format}, ${train.length} images with boxes of ${train.classes.length} classes` +
      (held ? `, ${held.length} held out${valPath ? ` from ${valPath}` : ''}` : ', none held out (the metric is on the training images)'),
    classes: train.classes,
    task: 'detection',
    trainCount: train.length,
    models: () => listModels({ task: 'detection' }).map((e) => e.name),
    rejects: (entry) => (entry.task === 'detection' ? null : `${path} is a detection data set; ${entry.name} is a ${entry.task} model`),
    defaults: (entry) => {
      const recipe = SHAPES_RECIPES.get(entry.name);
      return recipe ? { batchSize: recipe.batchSize, learningRate: recipe.learningRate } : { batchSize: 2, learningRate: 1e-4 };
    },
    initialise(model: Module<any, any>, seed: number) {
      model.loadStateDict(deterministicStateDict(model, seed));
    },
    async prepare(model: Module<any, any>, entry: ModelEntry, settings: TrainSettings): Promise<Trainer> {
      if (!isDetector(model)) throw new CliError(`${entry.name} is not a Detector (detect and loss); it cannot train on boxes`);
      const recipe = SHAPES_RECIPES.get(entry.name);
      const [height, width] = entry.inputShape;
      const note = (what: string) => (skipped: readonly Skipped[]) => console.log(skippedNote(what, skipped));
      const trainLoader = augmentedTrainLoader(train, [height, width], settings, skipCorrupt);
      const scored = held ?? openDetection(path, 'train', { images });
      const heldLoader = scoringLoader(scored, settings.batchSize, skipCorrupt, note('scoring'));
      return {
        metricName: held ? 'held-out VOC mAP@0.5' : 'train VOC mAP@0.5',
        async trainEpoch(epoch, optimizer, onStep) {
          const stepLosses: number[] = [];
          const total = trainLoader.length;
          const seed = epochSeed(settings.seed, epoch);
          for await (const batch of trainLoader.epoch(seed)) {
            let samples = samplesOf(batch);
            if (recipe?.prepare) samples = recipe.prepare(samples);
            const options = { epochs: 1, batchSize: samples.length, optimizer, seed: seed + stepLosses.length };
            const [loss] = recipe ? await recipe.train(model, samples, options) : await trainDetector(model, samples, options);
            stepLosses.push(loss!);
            onStep(stepLosses.length, total, mean(stepLosses));
            await yieldToEventLoop();
          }
          return { loss: mean(stepLosses), stepLosses };
        },
        evaluate: async () => (await scoreDetections(scored, heldLoader, detectWith(model))).vocAp ?? 0,
        dispose() {
          void trainLoader.close();
          void heldLoader.close();
        },
      };
    },
  };
}
