import { type StateDict, readSafetensors } from '@convkit/core';
import { CliError, ExitCode } from '../cli-error.js';
import { integerOption } from '../option-values.js';
import { selectBackend } from '../setup.js';
import { loadWeights, readWeightsFile } from '../weights.js';
import {
  type ClassificationScores, type Split, classificationLoader, dataFormat, hasOwnHeldOut, openClassification, scoreClassifier, skippedNote,
} from '../training/data-files.js';
import { classesOf } from './classify.js';
import { lookupModel } from '../lookup-model.js';

export interface EvalOptions {
  model: string;
  weights: string;
  /** A folder of class folders or of IDX files. */
  data: string;
  /** Default: the data set's held-out split (IDX t10k-*, an image folder's val/), else the whole folder. */
  split?: string;
  batchSize?: string;
  /** --skip-corrupt: leave corrupt images out, counted on stderr, instead of stopping at the first. */
  skipCorrupt?: boolean;
  json?: boolean;
  backend?: string;
}

export interface ClassificationEval extends ClassificationScores {
  task: 'classification';
  model: string;
  weights: string;
  data: string;
  split: Split;
}

const SPLITS: readonly Split[] = ['train', 'val', 'test'];

/**
 * `convkit eval --model m --weights w --data <path> [--split test|val|train] [--json]`: scores trained
 * weights on a data set from files, through the model's registered evaluation transform. Classifiers:
 * top-1 and top-5 accuracy (fractions) and the image count.
 */
export async function evalCommand(options: EvalOptions): Promise<void> {
  const result = await evaluate(options);
  if (options.json) {
    console.log(JSON.stringify(result));
    return;
  }
  console.log(`${result.model} on ${result.data} (${result.split}, ${result.count} images): top-1 ${(100 * result.top1).toFixed(2)}%, top-5 ${(100 * result.top5).toFixed(2)}%`);
}

export async function evaluate(options: EvalOptions): Promise<ClassificationEval> {
  const entry = lookupModel(options.model);
  if (options.split !== undefined && !SPLITS.includes(options.split as Split)) {
    throw new CliError(`--split takes train, val or test, got '${options.split}'`, ExitCode.usage);
  }
  const batchSize = options.batchSize === undefined ? 64 : integerOption(options.batchSize, '--batch-size', 1);
  const format = dataFormat(options.data, '--data');
  if (entry.task !== 'classification') {
    throw new CliError(`convkit eval scores classifiers on image folders and IDX files; ${entry.name} is a ${entry.task} model, and VOC and COCO evaluation is not wired into the command line yet`);
  }
  if (format === 'voc' || format === 'coco') {
    throw new CliError(`--data '${options.data}' is a ${format === 'voc' ? 'Pascal VOC root' : 'COCO annotations file'}; ${entry.name} is a classifier, scored on a folder of class folders or IDX files`);
  }
  const split: Split = (options.split as Split | undefined) ?? (hasOwnHeldOut(options.data) ? (format === 'idx' ? 'test' : 'val') : 'train');
  const dataset = openClassification(options.data, split);
  if (dataset.length === 0) throw new CliError(`--data '${options.data}' holds no images for the ${split} split`);
  let weights: { tensors: StateDict; metadata: Record<string, string> };
  try {
    weights = readSafetensors(await readWeightsFile(options.weights));
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read weights '${options.weights}': ${(error as Error).message}`);
  }
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
