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
