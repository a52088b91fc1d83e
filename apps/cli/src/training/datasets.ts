import { existsSync } from 'node:fs';
import { CliError } from '../cli-error.js';
import { filesDataSet } from './data-files.js';
import { digits } from './digits.js';
import { shapesDetection } from './shapes-detection.js';
import { shapesSegmentation } from './shapes-segmentation.js';
import type { DataSet } from './trainer.js';

/** The bundled data sets `convkit train --data` knows by name. */
export const DATASETS: ReadonlyMap<string, DataSet> = new Map([digits, shapesSegmentation, shapesDetection].map((d) => [d.name, d]));

/**
 * What `--data` names: a bundled data set, else files whose format the path tells (`./digits` is the
 * folder, where a bundled set has the same name). `val` is `--val`, the held-out data for files;
 * `skipCorrupt` leaves their corrupt images out rather than stopping.
 */
export function openDataSet(data: string, val?: string, skipCorrupt = false): DataSet {
  const bundled = DATASETS.get(data);
  if (bundled) {
    if (val !== undefined) throw new CliError(`--val is for data sets from files; ${data} is bundled with its own test split`, 2);
    return bundled;
  }
  if (!existsSync(data)) {
    throw new CliError(`--data '${data}' is neither a bundled data set (${[...DATASETS.keys()].join(', ')}) nor a file or folder`);
  }
  return filesDataSet(data, val, skipCorrupt);
}
