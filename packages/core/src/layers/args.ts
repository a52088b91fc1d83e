/** A PyTorch-style size argument: one number for both axes, or [height, width]. */
export type Size2 = number | [number, number];

/** Explicit zero padding of an NHWC tensor, as tfjs takes it. */
export type NhwcPadding = [[number, number], [number, number], [number, number], [number, number]];

export function pair(value: Size2, what: string): [number, number] {
  const [h, w] = typeof value === 'number' ? [value, value] : value;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h! < 0 || w! < 0) {
    throw new Error(`${what} must be a non-negative integer or a pair of them, got ${JSON.stringify(value)}`);
  }
  return [h!, w!];
}

export function positivePair(value: Size2, what: string): [number, number] {
  const p = pair(value, what);
  if (p[0] === 0 || p[1] === 0) throw new Error(`${what} must be positive, got ${JSON.stringify(value)}`);
  return p;
}

/** Output length of a convolution or pooling window sweep along one axis, as PyTorch computes it. */
export function slidingOutputSize(input: number, kernel: number, stride: number, padBefore: number, padAfter: number, dilation = 1, ceilMode = false): number {
  const span = input + padBefore + padAfter - dilation * (kernel - 1) - 1;
  let out = (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  // PyTorch: in ceil mode the last window must start inside the input or the left padding.
  if (ceilMode && (out - 1) * stride >= input + padBefore) out--;
  return out;
}
