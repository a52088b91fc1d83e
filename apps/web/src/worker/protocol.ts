import type { BackendStatus } from '@convkit/core';

/**
 * The messages between the page and the inference worker (worker/inference-worker.ts). Everything that
 * crosses is plain data (structured-cloneable): names, numbers, typed arrays, a File, an ImageBitmap.
 * Tensors and modules never leave the worker.
 */

/** Which backend the worker runs on (null: the best); `threads` applies to wasm: 1 asks for the single-threaded binary, null for tfjs's thread pool. */
export interface StartRequest { kind: 'start'; backend: string | null; threads: 1 | null }
/** Builds `name` (with the bundled weights at `bundled.url` when the demo ships some), then folds it for inference. */
export interface ModelRequest { kind: 'model'; name: string; bundled: { url: string; file: string } | null }
/** Reads a .safetensors file (in the worker, with progress) into the model built last. */
export interface WeightsRequest { kind: 'weights'; file: File }
/** Runs the model built last on `image` with its task's view; the result is the view's plain data. */
export interface RunRequest { kind: 'run'; image: ImageBitmap }
export type Request = StartRequest | ModelRequest | WeightsRequest | RunRequest;

export interface Started {
  backend: string;
  detail: string;
  /** wasm's thread count (1 when single-threaded); null on other backends. */
  threads: number | null;
  crossOriginIsolated: boolean;
  statuses: BackendStatus[];
}

export interface Built {
  name: string;
  /** The bundled weights' metadata when they were loaded. */
  metadata: Record<string, string> | null;
  /** What fuseForInference folded, e.g. '57 of 57 BatchNorms folded, 57 of 58 ReLUs fused'. */
  fusion: string;
}

export interface WeightsLoaded { tensors: number; fusion: string }

export interface Ran<R = unknown> { result: R; ms: number; backend: string }

export type Reply<K extends Request['kind']> =
  K extends 'start' ? Started : K extends 'model' ? Built : K extends 'weights' ? WeightsLoaded : Ran;

/** What the worker posts: progress while reading weights, then one answer per request. */
export type WorkerMessage =
  | { id: number; kind: 'progress'; what: string; loaded: number; total: number | null }
  | { id: number; kind: 'done'; value: unknown }
  | { id: number; kind: 'failed'; error: { name: string; message: string } };
