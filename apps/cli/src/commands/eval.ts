import { type ModelEntry, type StateDict } from '@convkit/core';
import { isDetector } from '@convkit/detection';
import type { Skipped, VocDataset } from '@convkit/data';
import { isSegmenter } from '@convkit/segmentation';
import { CliError, ExitCode } from '../cli-error.js';
import { integerOption } from '../option-values.js';
import { selectBackend } from '../setup.js';
import { loadWeights, readWeights } from '../weights.js';
import {
  type ClassificationScores, type Split, classificationLoader, dataFormat, hasOwnHeldOut, openClassification, scoreClassifier, skippedNote, vocHasSplit,
} from '../training/data-files.js';
import { type DetectionScores, detectWith, openDetection, scoreDetections, scoringLoader as detectionLoader } from '../training/detection-files.js';
import { type SegmentationScores, openSegmentation, scoreSegmentation, scoringLoader as segmentationLoader, segmentWith } from '../training/segmentation-files.js';
import { classesOf } from './classify.js';
import { lookupModel } from '../lookup-model.js';

export interface EvalOptions {
  model: string;
  weights: string;
  /** A folder of class folders or of IDX files (classifiers), a VOC root (detectors, segmenters) or a COCO instances_*.json (detectors). */
  data: string;
  /**
   * Default: the data set's held-out split (IDX t10k-*, an image folder's val/, a VOC root's val.txt),
   * else the whole folder or train.txt. A COCO annotations file is one split and takes none.
   */
  split?: string;
  /** A COCO annotations file's images folder (default: the split's folder beside annotations/). */
  images?: string;
  batchSize?: string;
  /** --skip-corrupt: leave corrupt images out, counted on stderr, instead of stopping at the first. */
  skipCorrupt?: boolean;
  json?: boolean;
  backend?: string;
}

interface EvalHeader {
  model: string;
  weights: string;
  data: string;
  /** The split scored; null for a COCO annotations file, which is its own split. */
  split: Split | null;
}

export interface ClassificationEval extends EvalHeader, ClassificationScores {
  task: 'classification';
}

export interface SegmentationEval extends EvalHeader, SegmentationScores {
  task: 'segmentation';
}

export interface DetectionEval extends EvalHeader, DetectionScores {
  task: 'detection';
}

export type Evaluation = ClassificationEval | SegmentationEval | DetectionEval;

const SPLITS: readonly Split[] = ['train', 'val', 'test'];

/**
 * `convkit eval --model m --weights w --data <path> [--split test|val|train] [--json]`: scores trained
 * weights on a data set from files. Classifiers (image folders, IDX files), through the model's registered
 * evaluation transform: top-1 and top-5 accuracy (fractions). Segmenters (a VOC root's SegmentationClass):
 * pixel accuracy, mean IoU and IoU per class, 255 (void) ignored. Detectors (a VOC root's Annotations or a
 * COCO instances_*.json), through `detect` at each image's own size: COCO's AP and AR (pycocotools') and
 * VOC's mean AP.
 */
export async function evalCommand(options: EvalOptions): Promise<void> {
  const result = await evaluate(options);
  if (options.json) {
    console.log(JSON.stringify(result));
    return;
  }
  const split = result.split === null ? '' : `${result.split}, `;
  const head = `${result.model} on ${result.data} (${split}${result.count} images)`;
  const pct = (v: number | null) => (v === null || v < 0 ? '-' : `${(100 * v).toFixed(2)}%`);
  if (result.task === 'classification') {
    console.log(`${head}: top-1 ${pct(result.top1)}, top-5 ${pct(result.top5)}`);
  } else if (result.task === 'segmentation') {
    console.log(`${head}: pixel accuracy ${pct(result.pixelAccuracy)}, mean IoU ${pct(result.meanIou)}`);
    const width = Math.max(...Object.keys(result.perClassIou).map((name) => name.length));
    for (const [name, iou] of Object.entries(result.perClassIou)) console.log(`  ${name.padEnd(width)}  IoU ${iou === null ? '-  (in neither truth nor prediction)' : pct(iou)}`);
  } else {
    console.log(`${head}:`);
    const rows: [string, number | null][] = [
      ['AP  IoU .50:.95', result.ap], ['AP  IoU .50', result.ap50], ['AP  IoU .75', result.ap75],
      ['AP  small', result.apSmall], ['AP  medium', result.apMedium], ['AP  large', result.apLarge], ['AR  100 detections', result.ar100],
      [`VOC mAP@0.5 (${result.vocApVariant})`, result.vocAp],
    ];
    const width = Math.max(...rows.map(([name]) => name.length));
    for (const [name, value] of rows) console.log(`  ${name.padEnd(width)}  ${pct(value)}`);
  }
}

export async function evaluate(options: EvalOptions): Promise<Evaluation> {
  const entry = lookupModel(options.model);
  if (options.split !== undefined && !SPLITS.includes(options.split as Split)) {
    throw new CliError(`--split takes train, val or test, got '${options.split}'`, ExitCode.usage);
  }
  const batchSize = options.batchSize === undefined ? 64 : integerOption(options.batchSize, '--batch-size', 1);
  const format = dataFormat(options.data, '--data');
  if (entry.task === 'classification' && (format === 'voc' || format === 'coco')) {
    throw new CliError(`--data '${options.data}' is a ${format === 'voc' ? 'Pascal VOC root' : 'COCO annotations file'}; ${entry.name} is a classifier, scored on a folder of class folders or IDX files`);
  }
  if (entry.task !== 'classification' && format !== 'voc' && format !== 'coco') {
    throw new CliError(`--data '${options.data}' is ${format === 'idx' ? 'a folder of IDX files' : 'an image folder'}, a classification data set; ${entry.name} is a ${entry.task} model, scored on a VOC root${entry.task === 'detection' ? ' or a COCO instances_*.json' : ''}`);
  }
  if (format === 'coco' && options.split !== undefined) {
    throw new CliError(`--split is for folders; a COCO annotations file is one split by itself (instances_val2017.json, instances_train2017.json): give that file`, ExitCode.usage);
  }
  if (options.images !== undefined && format !== 'coco') throw new CliError(`--images is for a COCO annotations file; '${options.data}' is a folder`, ExitCode.usage);
  const heldOut = format === 'voc' ? vocHasSplit(options.data, entry.task === 'segmentation' ? 'segmentation' : 'detection', 'val') : format !== 'coco' && hasOwnHeldOut(options.data);
  const split: Split | null = format === 'coco' ? null : (options.split as Split | undefined) ?? (heldOut ? (format === 'idx' ? 'test' : 'val') : 'train');
  const weights = await readWeights(options.weights);
  if (entry.task === 'classification') return evaluateClassifier(entry, options, split!, batchSize, weights);
  const data = entry.task === 'segmentation' ? openSegmentation(options.data, split!) : openDetection(options.data, split ?? 'train', { images: options.images });
  if (data.length === 0) throw new CliError(`--data '${options.data}' holds no images${split ? ` for the ${split} split` : ''}`);
  const classes = classesOf(weights.metadata, options.weights) ?? entry.categories ?? null;
  const numClasses = classes?.length ?? entry.numClasses;
  if (numClasses !== data.classes.length) {
    throw new CliError(`weights '${options.weights}' are for ${numClasses} classes${classes ? ` (${classes.slice(0, 4).join(', ')}, ...)` : ''}, but the data set has ${data.classes.length} (${data.classes.slice(0, 4).join(', ')}, ...); train ${entry.name} on it first (convkit train --model ${entry.name} --data ${options.data})`);
  }
  await selectBackend(options.backend);
  const model = entry.create({ numClasses });
  const header = { model: entry.name, weights: options.weights, data: options.data, split };
  const onSkipped = (skipped: readonly Skipped[]) => console.error(skippedNote('eval', skipped));
  try {
    loadWeights(model, weights.tensors, `weights '${options.weights}'`, entry.name);
    if (entry.task === 'segmentation') {
      if (!isSegmenter(model)) throw new CliError(`${entry.name} has no segment() (not a Segmenter of @convkit/segmentation)`);
      const loader = segmentationLoader(data as VocDataset, options.skipCorrupt ?? false, onSkipped);
      try {
        return { task: 'segmentation', ...header, ...(await scoreSegmentation(data.classes, loader, segmentWith(model))) };
      } finally {
        await loader.close();
      }
    }
    if (!isDetector(model)) throw new CliError(`${entry.name} has no detect() (not a Detector of @convkit/detection)`);
    const loader = detectionLoader(data, batchSize, options.skipCorrupt ?? false, onSkipped);
    try {
      return { task: 'detection', ...header, ...(await scoreDetections(data, loader, detectWith(model))) };
    } finally {
      await loader.close();
    }
  } finally {
    model.dispose();
  }
}

async function evaluateClassifier(
  entry: ModelEntry, options: EvalOptions, split: Split, batchSize: number, weights: { tensors: StateDict; metadata: Record<string, string> },
): Promise<ClassificationEval> {
  const dataset = openClassification(options.data, split);
  if (dataset.length === 0) throw new CliError(`--data '${options.data}' holds no images for the ${split} split`);
  const classes = classesOf(weights.metadata, options.weights);
  const numClasses = classes?.length ?? entry.numClasses;
  await selectBackend(options.backend);
  const model = entry.create({ numClasses });
  const loader = classificationLoader(dataset, entry, {
    batchSize, skipCorrupt: options.skipCorrupt, onSkipped: (skipped) => console.error(skippedNote('eval', skipped)),
  });
  try {
    loadWeights(model, weights.tensors, `weights '${options.weights}'`, entry.name);
    const scores = await scoreClassifier(model, loader, entry, numClasses);
    return { task: 'classification', model: entry.name, weights: options.weights, data: options.data, split, ...scores };
  } finally {
    await loader.close();
    model.dispose();
  }
}
