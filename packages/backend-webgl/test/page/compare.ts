/** Largest |actual - expected| divided by the largest |expected|: the measure every tolerance here is stated in. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`${actual.length} values, expected ${expected.length}`);
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    const d = Math.abs(actual[i]! - expected[i]!);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  return worst / (scale || 1);
}

/** PyTorch's NCHW host data to our NHWC order (other ranks pass through). */
export function nchwToNhwc(data: ArrayLike<number>, shape: readonly number[]): { data: Float32Array; shape: number[] } {
  if (shape.length !== 4) return { data: Float32Array.from(data), shape: shape.slice() };
  const [n, c, h, w] = shape as [number, number, number, number];
  const out = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    out[((b * h + y) * w + x) * c + ch] = data[((b * c + ch) * h + y) * w + x]!;
  }
  return { data: out, shape: [n, h, w, c] };
}

/** A fixed pseudo-random input in [-1, 1): the same on every backend and every run. */
export function patternInput(size: number, seed = 1): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}

/** One measured error, or the error a case threw. */
export interface Measurement {
  backend: string;
  suite: string;
  name: string;
  quantity: string;
  relativeError?: number;
  error?: string;
  /** Time of the webgl run (and of the cpu run it is compared with), first run: shader compilation and uploads included. */
  ms?: number;
  cpuMs?: number;
  /** Timer callbacks that ran while a result was read back (the async readback check). */
  ticks?: number;
}
