import type { BenchRow, TimingOptions } from '../src/types.js';

/** Runs `once` (which resolves when the output is on the host) warmup + repeats times; the first run is reported apart. */
export async function timeRuns(once: () => Promise<Float32Array>, options: TimingOptions): Promise<Pick<BenchRow, 'firstMs' | 'medianMs' | 'timesMs' | 'logits'>> {
  const started = performance.now();
  let t0 = performance.now();
  const logits = await once();
  const firstMs = performance.now() - t0;
  for (let i = 1; i < options.warmup; i++) await once();
  const timesMs: number[] = [];
  while (timesMs.length < options.repeats && (timesMs.length < 3 || performance.now() - started < options.maxSeconds * 1000)) {
    t0 = performance.now();
    await once();
    timesMs.push(performance.now() - t0);
  }
  return { firstMs, medianMs: median(timesMs), timesMs, logits: Array.from(logits) };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
