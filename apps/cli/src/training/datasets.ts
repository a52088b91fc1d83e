import { existsSync } from 'node:fs';
import { CliError } from '../cli-error.js';
import type { Task } from '@convkit/core';
import { dataFormat, filesDataSet } from './data-files.js';
import { detectionFilesDataSet } from './detection-files.js';
import { digits } from './digits.js';
import { shapesDetection } from './shapes-detection.js';
import { segmentationFilesDataSet } from './segmentation-files.js';
import { shapesSegmentation } from './shapes-segmentation.js';
import type { DataSet } from './trainer.js';

/** The bundled data sets `convkit train --data` knows by name. */
export const DATASETS: ReadonlyMap<string, DataSet> = new Map([digits, shapesSegmentation, shapesDetection].map((d) => [d.name, d]));

export interface FilesOptions {
  /** --val: held-out data for files. */
  val?: string;
  /** --skip-corrupt: leave corrupt images out rather than stopping. */
  skipCorrupt?: boolean;
  /** The model's task: a VOC root is read for boxes (detection) or for SegmentationClass masks (segmentation). */
  task?: Task;
  /** --images: a COCO annotations file's images folder. */
  images?: string;
}

/**
 * What `--data` names: a bundled data set, else files whose format the path tells (`./digits` is the
 * folder, where a bundled set has the same name): class folders and IDX files for classifiers, a VOC
 * root or a COCO instances_*.json for detectors, a VOC root for segmenters.
 */
export function openDataSet(data: string, options: FilesOptions = {}): DataSet {
  const { val, skipCorrupt = false, task } = options;
  const bundled = DATASETS.get(data);
  if (bundled) {
    if (val !== undefined) throw new CliError(`--val is for data sets from files; ${data} is bundled with its own test split`, 2);
    return bundled;
  }
  if (!existsSync(data)) {
    throw new CliError(`--data '${data}' is neither a bundled data set (${[...DATASETS.keys()].join(', ')}) nor a file or folder`);
  }
  const format = dataFormat(data, '--data');
  if (format === 'voc' || format === 'coco') {
    if (task === 'detection') return detectionFilesDataSet(data, val, skipCorrupt, options.images);
    if (task === 'segmentation') return segmentationFilesDataSet(data, val, skipCorrupt);
  }
  return filesDataSet(data, val, skipCorrupt);
}
