import type * as Ort from 'onnxruntime-web';
import { benchImage, nhwcToNchw } from './input.js';
import type { BenchRow, TimingOptions } from '../src/types.js';
import { timeRuns } from './timing.js';

/**
 * onnxruntime-web's own ES module builds, served unbundled from its dist/ (they load their .wasm and
 * pthread script beside themselves): the plain threaded-SIMD build for wasm, the WebGPU build (which
 * carries its own wasm) for webgpu.
 */
const BUILD: Record<string, string> = { wasm: '/ort/ort.wasm.min.mjs', webgpu: '/ort/ort.webgpu.min.mjs' };

/** Each model's ONNX export (tools/bench/export_onnx.py, served at /models/) on `provider`, batch 1, 224x224. */
export async function benchOnnxruntime(provider: 'wasm' | 'webgpu', threads: number, models: string[], options: TimingOptions): Promise<BenchRow[]> {
  const runtime = `onnxruntime-web ${provider}`;
  const ort = (await import(/* @vite-ignore */ BUILD[provider]!)) as typeof Ort;
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = threads;
  const detail = `onnxruntime-web ${ort.env.versions.web}, ${provider === 'wasm' ? `threaded SIMD, ${threads} threads` : 'WebGPU execution provider'}`;
  const rows: BenchRow[] = [];
  for (const name of models) {
    const row: BenchRow = { model: name, runtime, threads: provider === 'wasm' ? threads : null, detail };
    let session: Ort.InferenceSession | undefined;
    try {
      session = await ort.InferenceSession.create(`/models/${name}.onnx`, { executionProviders: [provider], graphOptimizationLevel: 'all' });
      const input = new ort.Tensor('float32', nhwcToNchw(benchImage(224), 224, 3), [1, 3, 224, 224]);
      const s = session;
      Object.assign(row, await timeRuns(async () => {
        const out = await s.run({ [s.inputNames[0]!]: input });
        const logits = out[s.outputNames[0]!]!;
        const values = (await logits.getData()) as Float32Array;
        logits.dispose();
        return values;
      }, options));
    } catch (error) {
      row.error = String((error as Error).stack ?? error);
    } finally {
      await session?.release();
    }
    console.log(`${runtime} ${name}: ${row.error ?? `median ${row.medianMs!.toFixed(0)} ms`}`);
    rows.push(row);
  }
  return rows;
}
