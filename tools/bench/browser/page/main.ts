import { benchConvkit } from './convkit.js';
import { benchOnnxruntime } from './onnxruntime.js';
import type { BenchConfig, BenchPage, BenchRow } from '../src/types.js';

/** What the driver (src/run.ts) calls through page.evaluate. */
const bench: BenchPage = {
  environment() {
    return { crossOriginIsolated, hardwareConcurrency: navigator.hardwareConcurrency, userAgent: navigator.userAgent };
  },
  run(config: BenchConfig): Promise<BenchRow[]> {
    if (config.runtime === 'onnxruntime-web') {
      return benchOnnxruntime(config.backend as 'wasm' | 'webgpu', config.threads ?? navigator.hardwareConcurrency, config.models, config);
    }
    return benchConvkit(config.backend, config.threads, config.models, config);
  },
};

declare global {
  interface Window {
    convkitBench: BenchPage;
  }
}
window.convkitBench = bench;
document.querySelector('#status')!.textContent = 'ready';
