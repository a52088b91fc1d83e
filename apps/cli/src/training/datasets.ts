import { digits } from './digits.js';
import { shapesDetection } from './shapes-detection.js';
import { shapesSegmentation } from './shapes-segmentation.js';
import type { DataSet } from './trainer.js';

/** The data sets `convkit train --data` knows, by name. */
export const DATASETS: ReadonlyMap<string, DataSet> = new Map([digits, shapesSegmentation, shapesDetection].map((d) => [d.name, d]));
