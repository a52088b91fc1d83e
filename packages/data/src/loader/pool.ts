import { Worker } from 'node:worker_threads';
import { DataError } from '../errors.js';
import type { JobResult } from './job.js';
import type { WorkerInit, WorkerJob } from './worker.js';

interface Pending {
  resolve(result: JobResult): void;
  reject(error: Error): void;
  worker: Worker;
}

type Reply = { id: number; result: JobResult } | { id: number; error: { message: string; stack?: string; data: boolean; path?: string } };

/**
 * N worker threads, each holding the data set and the transform rebuilt from their specs; a job goes
 * to the worker with the fewest jobs in flight. Idle workers do not keep the process alive (`unref`),
 * so a script that forgets `close()` still exits.
 */
export class WorkerPool {
  private readonly workers: Worker[];
  private readonly load = new Map<Worker, number>();
  private readonly pending = new Map<number, Pending>();
  private failure: Error | null = null;
  private nextId = 0;

  constructor(count: number, init: WorkerInit) {
    const url = new URL('./worker.js', import.meta.url);
    // Workers inherit the process's flags; `--input-type` (node -e scripts) is refused for a worker's file.
    const execArgv = process.execArgv.filter((flag) => !flag.startsWith('--input-type'));
    this.workers = Array.from({ length: count }, () => {
      const worker = new Worker(url, { workerData: init, execArgv });
      this.load.set(worker, 0);
      worker.on('message', (reply: Reply) => this.settle(worker, reply));
      worker.on('error', (error) => this.fail(worker, error));
      worker.on('exit', (code) => this.fail(worker, new Error(`a data loader worker exited with code ${code}`)));
      worker.unref();
      return worker;
    });
  }

  run(job: Omit<WorkerJob, 'id'>): Promise<JobResult> {
    if (this.failure) return Promise.reject(this.failure);
    const worker = this.workers.reduce((a, b) => (this.load.get(b)! < this.load.get(a)! ? b : a));
    const id = this.nextId++;
    return new Promise<JobResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      this.load.set(worker, this.load.get(worker)! + 1);
      worker.ref();
      worker.postMessage({ ...job, id } satisfies WorkerJob, [job.indices.buffer as ArrayBuffer]);
    });
  }

  private settle(worker: Worker, reply: Reply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    const load = this.load.get(worker)! - 1;
    this.load.set(worker, load);
    if (load === 0) worker.unref();
    if ('result' in reply) pending.resolve(reply.result);
    else {
      const error = reply.error.data ? new DataError(reply.error.message, reply.error.path) : new Error(reply.error.message);
      if (reply.error.stack && !reply.error.data) error.stack = reply.error.stack;
      pending.reject(error);
    }
  }

  private fail(worker: Worker, error: Error): void {
    this.failure ??= error;
    for (const [id, pending] of this.pending) {
      if (pending.worker !== worker) continue;
      this.pending.delete(id);
      pending.reject(error);
    }
  }

  async close(): Promise<void> {
    this.failure ??= new Error('the data loader is closed');
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((w) => {
      w.removeAllListeners('exit');
      return w.terminate();
    }));
    for (const pending of this.pending.values()) pending.reject(this.failure);
    this.pending.clear();
  }
}
