import type { Dataset } from '../datasets/dataset.js';
import { DataError } from '../errors.js';
import { seededRandom } from '../random.js';
import type { Transform } from '../transforms/transform.js';
import { collate, type Batch } from './collate.js';

/** A corrupt file left out of a batch. */
export interface Skipped {
  source: string;
  reason: string;
}

export interface JobResult {
  batch: Batch;
  skipped: Skipped[];
}

/**
 * Reads, transforms and collates the examples at `indices` — the work each loader worker does. Each
 * example draws from its own generator seeded by (seed, epoch, index), so a batch is the same whichever
 * worker makes it. With `skipCorrupt` a DataError from reading an example (a corrupt or unreadable
 * file) leaves it out and is reported; any other error propagates.
 */
export function runJob(dataset: Dataset, transform: Transform | undefined, indices: Int32Array, seed: number, epoch: number, stack: boolean, skipCorrupt: boolean): JobResult {
  const examples = [];
  const kept: number[] = [];
  const skipped: Skipped[] = [];
  for (const index of indices) {
    let example;
    try {
      example = dataset.get(index);
    } catch (error) {
      if (!(skipCorrupt && error instanceof DataError)) throw error;
      skipped.push({ source: error.path ?? `item ${index}`, reason: error.message });
      continue;
    }
    // A transform's DataError (Normalize on the wrong channel count) is a mistake in the pipeline, not a corrupt file: never skipped.
    examples.push(transform ? { ...example, ...transform.apply(example, seededRandom(seed, epoch, index)) } : example);
    kept.push(index);
  }
  return { batch: collate(examples, Int32Array.from(kept), stack), skipped };
}
