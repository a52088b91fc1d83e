import type { Reply, Request, WorkerMessage } from './protocol.js';

/** A request stopped because the page terminated the worker running it (the Cancel button). */
export class CancelledError extends Error {
  override name = 'CancelledError';
}

/** An error the worker reported, with the name it had there (WeightsFormatError, StateDictError, ...). */
export class WorkerError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

type Pending = { resolve(value: unknown): void; reject(error: Error): void; onProgress?: Progress };
export type Progress = (what: string, loaded: number, total: number | null) => void;

/**
 * The page's side of the inference worker: one request at a time is answered in order, progress is
 * forwarded, and `restart` terminates the worker (whatever it is computing stops at once: a forward
 * pass cannot be interrupted any other way) and starts a fresh one with nothing loaded.
 */
export class InferenceClient {
  #worker!: Worker;
  #next = 0;
  readonly #pending = new Map<number, Pending>();

  constructor() {
    this.#spawn();
  }

  #spawn(): void {
    this.#worker = new Worker(new URL('./inference-worker.ts', import.meta.url), { type: 'module', name: 'convkit inference' });
    this.#worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
      const message = event.data;
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      if (message.kind === 'progress') {
        pending.onProgress?.(message.what, message.loaded, message.total);
        return;
      }
      this.#pending.delete(message.id);
      if (message.kind === 'done') pending.resolve(message.value);
      else pending.reject(new WorkerError(message.error.name, message.error.message));
    };
    // A worker script that fails to load (offline without its cached copy) or throws outside a request.
    this.#worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#failAll(new Error(`the inference worker failed: ${event.message || 'its script did not load (offline, and not cached?)'}`));
    };
  }

  #failAll(error: Error): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(error);
  }

  call<R extends Request>(request: R, onProgress?: Progress, transfer: Transferable[] = []): Promise<Reply<R['kind']>> {
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject, onProgress });
      this.#worker.postMessage({ id, request }, transfer);
    });
  }

  /** Stops the worker and whatever it runs; every pending request rejects with CancelledError. */
  restart(reason: string): void {
    this.#worker.terminate();
    this.#failAll(new CancelledError(reason));
    this.#spawn();
  }
}
