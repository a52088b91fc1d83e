import { parentPort, workerData } from 'node:worker_threads';
import type { DatasetSpec } from '../datasets/dataset.js';
import { datasetFromSpec } from '../datasets/from-spec.js';
import { DataError } from '../errors.js';
import { transformFromSpec } from '../transforms/from-spec.js';
import type { TransformSpec } from '../transforms/transform.js';
import { transferables } from './collate.js';
import { runJob } from './job.js';

/** What the loader sends each worker once, at start. */
export interface WorkerInit {
  dataset: DatasetSpec;
  transform: TransformSpec | null;
  stack: boolean;
  skipCorrupt: boolean;
}

/** One batch to make. */
export interface WorkerJob {
  id: number;
  indices: Int32Array;
  seed: number;
  epoch: number;
}

const init = workerData as WorkerInit;
const dataset = datasetFromSpec(init.dataset);
const transform = init.transform ? transformFromSpec(init.transform) : undefined;

parentPort!.on('message', (job: WorkerJob) => {
  try {
    const result = runJob(dataset, transform, job.indices, job.seed, job.epoch, init.stack, init.skipCorrupt);
    parentPort!.postMessage({ id: job.id, result }, transferables(result.batch));
  } catch (error) {
    const e = error as Error;
    parentPort!.postMessage({ id: job.id, error: { message: e.message, stack: e.stack, data: error instanceof DataError, path: error instanceof DataError ? error.path : undefined } });
  }
});
