import { availableParallelism } from 'node:os';
import type { Dataset } from '../datasets/dataset.js';
import { DataError } from '../errors.js';
import { permutation, seededRandom } from '../random.js';
import type { Transform } from '../transforms/transform.js';
import type { Batch } from './collate.js';
import { runJob, type JobResult, type Skipped } from './job.js';
import { WorkerPool } from './pool.js';

export interface LoaderOptions {
  batchSize: number;
  /** Reshuffle every epoch, from (seed, epoch) (default false: data set order). */
  shuffle?: boolean;
  /** Seeds the shuffle and every example's augmentation (default 0). */
  seed?: number;
  /** Leave out the last, short batch (default false). */
  dropLast?: boolean;
  /** Applied to every example, in the workers. */
  transform?: Transform;
  /** Worker threads decoding and augmenting (default min(4, cores - 1)); 0 works in this thread. */
  workers?: number;
  /** Batches made ahead of the one being consumed (default 2 per worker). */
  prefetch?: number;
  /** Stack images into [N, H, W, C] (default true); false lists them (detection images of varied sizes). */
  stack?: boolean;
  /** A corrupt or unreadable file: 'error' stops the epoch with its path (default), 'skip' leaves it out and counts it. */
  onCorrupt?: 'error' | 'skip';
  /** Called after each batch is delivered, and once more when the epoch is done. */
  onProgress?: (progress: Progress) => void;
}

/** Where an epoch stands, for a progress bar. */
export interface Progress {
  epoch: number;
  /** Batches delivered so far, of `batches`. */
  batch: number;
  batches: number;
  /** Examples delivered so far, of `total` (skipped ones are not delivered). */
  images: number;
  total: number;
  seconds: number;
  imagesPerSecond: number;
  /** Corrupt files left out so far this epoch, each with its path and reason. */
  skipped: readonly Skipped[];
  done: boolean;
}

/** The default worker count: min(4, cores - 1), leaving a core to the training itself. */
export function defaultWorkers(): number {
  return Math.max(0, Math.min(4, availableParallelism() - 1));
}

/**
 * torchvision's DataLoader, for Node: seeded shuffling, batches delivered in order, and decoding and
 * augmentation in a pool of worker threads, so the backend trains on one batch while the next ones
 * are made. Batches are plain typed arrays (see `Batch`); `close()` ends the workers.
 */
export class DataLoader {
  readonly batchSize: number;
  private readonly options: LoaderOptions;
  private pool: WorkerPool | null = null;
  private closed = false;

  constructor(readonly dataset: Dataset, options: LoaderOptions) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new DataError(`batchSize must be a positive integer, got ${options.batchSize}`);
    const workers = options.workers ?? defaultWorkers();
    if (!Number.isInteger(workers) || workers < 0) throw new DataError(`workers must be a non-negative integer, got ${options.workers}`);
    if (workers > 0 && !dataset.spec) throw new DataError('this data set has no spec for worker threads to rebuild it from; pass workers: 0 to load it in this thread');
    this.batchSize = options.batchSize;
    this.options = { ...options, workers };
  }

  get workers(): number {
    return this.options.workers!;
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.options.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The dataset indices of each batch of `epoch`, in delivery order. */
  batchIndices(epoch: number): Int32Array[] {
    const n = this.dataset.length;
    const order = this.options.shuffle ? permutation(n, seededRandom(this.options.seed ?? 0, epoch, -1)) : Int32Array.from({ length: n }, (_, i) => i);
    return Array.from({ length: this.length }, (_, b) => order.slice(b * this.batchSize, Math.min(n, (b + 1) * this.batchSize)));
  }

  /** One epoch's batches, in order. Breaking out of the loop is fine; in-flight batches are dropped. */
  async *epoch(epoch = 0): AsyncGenerator<Batch, void, undefined> {
    if (this.closed) throw new DataError('this DataLoader is closed; make a new one');
    const { seed = 0, stack = true, onProgress } = this.options;
    const skipCorrupt = this.options.onCorrupt === 'skip';
    const run = this.runner(stack, skipCorrupt);
    const jobs = this.batchIndices(epoch);
    const prefetch = this.workers === 0 ? 1 : Math.max(1, this.options.prefetch ?? 2 * this.workers);
    const inFlight: Promise<JobResult>[] = [];
    let next = 0;
    const submit = () => {
      while (next < jobs.length && inFlight.length < prefetch) {
        const job = run(jobs[next++]!, seed, epoch);
        // Awaited in order below; this only keeps a later batch's failure from being reported as unhandled first.
        job.catch(() => undefined);
        inFlight.push(job);
      }
    };
    const start = performance.now();
    const skipped: Skipped[] = [];
    let images = 0;
    const report = (batch: number, done: boolean) => {
      const seconds = (performance.now() - start) / 1000;
      onProgress?.({ epoch, batch, batches: jobs.length, images, total: this.dataset.length, seconds, imagesPerSecond: seconds > 0 ? images / seconds : 0, skipped, done });
    };
    submit();
    for (let b = 0; b < jobs.length; b++) {
      const { batch, skipped: lost } = await inFlight.shift()!;
      submit();
      skipped.push(...lost);
      images += batch.indices.length;
      report(b + 1, false);
      if (batch.indices.length > 0) yield batch;
    }
    report(jobs.length, true);
  }

  private runner(stack: boolean, skipCorrupt: boolean): (indices: Int32Array, seed: number, epoch: number) => Promise<JobResult> {
    const transform = this.options.transform;
    if (this.workers === 0) {
      return (indices, seed, epoch) => new Promise((resolve, reject) => {
        // Yield to the event loop between batches, so timers and progress output run while loading in-thread.
        setImmediate(() => {
          try {
            resolve(runJob(this.dataset, transform, indices, seed, epoch, stack, skipCorrupt));
          } catch (error) {
            reject(error);
          }
        });
      });
    }
    this.pool ??= new WorkerPool(this.workers, { dataset: this.dataset.spec!, transform: transform?.spec ?? null, stack, skipCorrupt });
    const pool = this.pool;
    return (indices, seed, epoch) => pool.run({ indices, seed, epoch });
  }

  /** Ends the worker threads; the loader cannot be used after. */
  async close(): Promise<void> {
    this.closed = true;
    await this.pool?.close();
    this.pool = null;
  }
}
