/** What one configuration measured on one model; the page returns these, the driver (run.ts) prints and saves them. */
export interface BenchRow {
  model: string;
  /** `convkit wasm`, `onnxruntime-web webgpu`, ... */
  runtime: string;
  threads: number | null;
  /** What the backend reported about itself: binary, adapter, renderer. */
  detail: string;
  /** The first run alone: weights upload, shader compilation, XNNPACK packing. */
  firstMs?: number;
  medianMs?: number;
  timesMs?: number[];
  /** The output logits, for the driver to compare rows that computed the same network. */
  logits?: number[];
  error?: string;
}

export interface TimingOptions {
  warmup: number;
  repeats: number;
  /** Stop repeating once this much time has gone on one model (SwiftShader runs take seconds each). */
  maxSeconds: number;
}

/** One configuration of the benchmark table, run in its own page load. */
export interface BenchConfig extends TimingOptions {
  runtime: 'convkit' | 'onnxruntime-web';
  backend: string;
  threads: number | null;
  models: string[];
}

/** The page's `window.convkitBench` (page/main.ts). */
export interface BenchPage {
  environment(): { crossOriginIsolated: boolean; hardwareConcurrency: number; userAgent: string };
  run(config: BenchConfig): Promise<BenchRow[]>;
}
