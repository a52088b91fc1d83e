/// <reference lib="webworker" />
import * as tf from '@tensorflow/tfjs-core';
import { type FusionSummary, type ModelEntry, type Module, fuseForInference, getModelEntry } from '@convkit/core';
import { activateBackend, availableBackends } from '../backends.js';
import '../models.js';
import { TASK_VIEWS } from '../tasks/index.js';
import { type OnProgress, fetchWeights, readWeightsFile } from '../weights.js';
import type { Built, Ran, Request, Started, WeightsLoaded, WorkerMessage } from './protocol.js';

/**
 * Everything that computes runs here, off the page's thread: the backend, building the model, reading
 * weights, the task's preprocessing, forward pass and decoding. The page sends requests and draws the
 * plain results (worker/protocol.ts); to stop a run it terminates this worker and starts a new one.
 */
const scope = self as unknown as DedicatedWorkerGlobalScope;
let current: { entry: ModelEntry; model: Module<tf.Tensor, unknown> } | null = null;

function describeFusion(f: FusionSummary): string {
  return `inference folding: ${f.foldedBatchNorms} of ${f.batchNorms} BatchNorms folded into convolutions, ${f.fusedRelus} of ${f.relus} ReLUs fused`;
}

async function start(backend: string | null, threads: 1 | null): Promise<Started> {
  const active = await activateBackend(backend, threads);
  return { backend: active.name, detail: active.detail, threads: active.threads, crossOriginIsolated, statuses: await availableBackends() };
}

async function build(name: string, bundled: { url: string; file: string } | null, onProgress: OnProgress): Promise<Built> {
  current?.model.dispose();
  current = null;
  const entry = getModelEntry(name);
  const model = entry.create();
  model.eval();
  let metadata: Record<string, string> | null = null;
  try {
    if (bundled) {
      const file = await fetchWeights(bundled.url, bundled.file, onProgress);
      model.loadStateDict(file.tensors);
      metadata = file.metadata;
    }
    const fusion = describeFusion(fuseForInference(model));
    current = { entry, model };
    return { name, metadata, fusion };
  } catch (error) {
    // No model is better than one that silently runs on random weights.
    model.dispose();
    throw error;
  }
}

function built(): NonNullable<typeof current> {
  if (!current) throw new Error('no model is built in the worker: pick one first');
  return current;
}

async function loadWeights(file: File, onProgress: OnProgress): Promise<WeightsLoaded> {
  const { model } = built();
  const { tensors } = await readWeightsFile(file, onProgress);
  model.loadStateDict(tensors);
  // The folded convolution weights are recomputed from the new ones on the next forward pass.
  return { tensors: tensors.size, fusion: describeFusion(fuseForInference(model)) };
}

async function run(image: ImageBitmap): Promise<Ran> {
  const { entry, model } = built();
  const view = TASK_VIEWS[entry.task];
  if (!view) throw new Error(`the demo has no result view for ${entry.task} yet (apps/web/src/tasks/); explore the architecture instead`);
  try {
    const start = performance.now();
    const result = await view.run(model, entry, image);
    return { result, ms: performance.now() - start, backend: tf.getBackend() };
  } finally {
    image.close();
  }
}

/** Progress at most every 50 ms: a 160 MB file arrives in thousands of chunks. */
function progress(id: number, what: string): OnProgress {
  let last = 0;
  return (loaded, total) => {
    const now = performance.now();
    if (now - last < 50 && loaded !== total) return;
    last = now;
    scope.postMessage({ id, kind: 'progress', what, loaded, total } satisfies WorkerMessage);
  };
}

async function handle(id: number, request: Request): Promise<unknown> {
  switch (request.kind) {
    case 'start':
      return start(request.backend, request.threads);
    case 'model':
      return build(request.name, request.bundled, progress(id, request.bundled?.file ?? request.name));
    case 'weights':
      return loadWeights(request.file, progress(id, request.file.name));
    case 'run':
      return run(request.image);
  }
}

// One request at a time, in order: the page waits for each answer (or terminates the worker).
let queue: Promise<void> = Promise.resolve();
scope.onmessage = (event: MessageEvent<{ id: number; request: Request }>) => {
  const { id, request } = event.data;
  queue = queue.then(async () => {
    try {
      scope.postMessage({ id, kind: 'done', value: await handle(id, request) } satisfies WorkerMessage);
    } catch (error) {
      const e = error as Error;
      scope.postMessage({ id, kind: 'failed', error: { name: e?.name ?? 'Error', message: e?.message ?? String(error) } } satisfies WorkerMessage);
    }
  });
};
