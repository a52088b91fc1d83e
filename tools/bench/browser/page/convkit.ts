import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createModel, deterministicStateDict, fuseForInference, useBackend } from '@convkit/core';
import { setWasmThreads, wasmThreads } from '@convkit/backend-wasm';
import '@convkit/backend-webgl';
import '@convkit/backend-webgpu';
import '@convkit/classifiers';
import { benchImage } from './input.js';
import type { BenchRow, TimingOptions } from '../src/types.js';
import { timeRuns } from './timing.js';

/**
 * Activates convkit's `backend`; for wasm, `threads` 1 loads the single-threaded SIMD binary, more the
 * threaded one (the page is cross-origin isolated) with that many threads, null one per logical core.
 * The binary and the thread pool are fixed once per page, so the driver loads a fresh page per configuration.
 */
async function activate(backend: string, threads: number | null): Promise<string> {
  if (backend === 'wasm') {
    setWasmPaths('/tfjs-wasm/');
    setWasmThreads(threads);
  }
  await useBackend(backend);
  switch (backend) {
    case 'wasm': {
      const threaded = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      const got = wasmThreads();
      return `tfjs-backend-wasm 4.22, ${threaded ? `threaded SIMD, ${got} thread${got === 1 ? '' : 's'}` : 'SIMD, 1 thread'}`;
    }
    case 'webgl':
      return `tfjs-backend-webgl 4.22, WebGL ${tf.env().getNumber('WEBGL_VERSION')}`;
    case 'webgpu': {
      const info = (tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string } }).adapterInfo;
      return `tfjs-backend-webgpu 4.22, adapter ${info?.vendor ?? '?'} ${info?.architecture ?? '?'}`;
    }
    default:
      return backend;
  }
}

/**
 * Each model at batch 1, 224x224, with deterministic weights and inference folding (BatchNorm into the
 * convolutions, as onnxruntime's graph optimizer does): `await y.data()` ends each timed run.
 */
export async function benchConvkit(backend: string, threads: number | null, models: string[], options: TimingOptions): Promise<BenchRow[]> {
  const runtime = `convkit ${backend}`;
  let detail: string;
  try {
    detail = await activate(backend, threads);
  } catch (error) {
    return models.map((model) => ({ model, runtime, threads, detail: '', error: String((error as Error).message) }));
  }
  const rows: BenchRow[] = [];
  for (const name of models) {
    const row: BenchRow = { model: name, runtime, threads, detail };
    const model = createModel(name);
    const x = tf.tensor(benchImage(224), [1, 224, 224, 3]);
    try {
      model.loadStateDict(deterministicStateDict(model));
      model.eval();
      fuseForInference(model, [1, 224, 224, 3]);
      Object.assign(row, await timeRuns(async () => {
        const y = model.call(x) as tf.Tensor;
        try {
          return (await y.data()) as Float32Array;
        } finally {
          y.dispose();
        }
      }, options));
    } catch (error) {
      row.error = String((error as Error).stack ?? error);
    } finally {
      x.dispose();
      model.dispose();
    }
    console.log(`${runtime} ${name}: ${row.error ?? `median ${row.medianMs!.toFixed(0)} ms`}`);
    rows.push(row);
  }
  return rows;
}
