export interface Closeness {
  /** Largest |actual - expected| over the tensor divided by the largest |expected|: the measure every tolerance is stated in. */
  maxRelativeError: number;
  maxAbsoluteError: number;
}

/** Compares values against a reference, scaling the error by the reference's largest magnitude; a NaN anywhere is an infinite error. */
export function closeness(actual: ArrayLike<number>, expected: ArrayLike<number>): Closeness {
  if (actual.length !== expected.length) throw new Error(`${actual.length} values, expected ${expected.length}`);
  let scale = 0;
  let maxAbs = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    const d = Math.abs(actual[i]! - expected[i]!);
    maxAbs = Number.isNaN(d) ? Infinity : Math.max(maxAbs, d);
  }
  return { maxAbsoluteError: maxAbs, maxRelativeError: maxAbs / (scale || 1) };
}

/** Throws with the measured error unless `actual` is within `relativeTolerance` of `expected`. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, relativeTolerance: number, what = 'values'): Closeness {
  const c = closeness(actual, expected);
  if (!(c.maxRelativeError <= relativeTolerance)) {
    throw new Error(`${what}: max relative error ${c.maxRelativeError.toExponential(2)} > ${relativeTolerance} (max abs ${c.maxAbsoluteError.toExponential(2)})`);
  }
  return c;
}

/** PyTorch's NCHW host data to our NHWC order; other ranks are copied unchanged. */
export function nchwToNhwc(data: ArrayLike<number>, shape: readonly number[]): Float32Array {
  if (shape.length !== 4) return Float32Array.from(data);
  const [n, c, h, w] = shape as [number, number, number, number];
  const out = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    out[((b * h + y) * w + x) * c + ch] = data[((b * c + ch) * h + y) * w + x]!;
  }
  return out;
}

/** `[N, C, H, W]` to `[N, H, W, C]`; other ranks unchanged. */
export function nhwcShape(shape: readonly number[]): number[] {
  return shape.length === 4 ? [shape[0]!, shape[2]!, shape[3]!, shape[1]!] : shape.slice();
}
