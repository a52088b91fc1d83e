/**
 * Index arithmetic for the native kernels, kept pure so that it is tested without a GPU: every
 * strided kernel receives an iteration shape and, per operand, the element stride of each axis.
 */

/** Row-major strides of a dense tensor, in elements; axes of size 1 get stride 0 (they never move). */
export function denseStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let acc = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    strides[k] = shape[k] === 1 ? 0 : acc;
    acc *= shape[k]!;
  }
  return strides;
}

/**
 * Strides that read a tensor of `inShape` as if broadcast to `outShape` (numpy rules, aligned on
 * the right): a missing or size-1 axis has stride 0.
 */
export function broadcastStrides(inShape: readonly number[], outShape: readonly number[]): number[] {
  const dense = denseStrides(inShape);
  const offset = outShape.length - inShape.length;
  if (offset < 0) throw new Error(`shape [${inShape}] does not broadcast to [${outShape}]`);
  return outShape.map((dim, k) => {
    const i = k - offset;
    if (i < 0 || inShape[i] === 1) return 0;
    if (inShape[i] !== dim) throw new Error(`shape [${inShape}] does not broadcast to [${outShape}]`);
    return dense[i]!;
  });
}

/**
 * Drops size-1 axes and merges neighbouring axes that are contiguous in every operand, so that
 * most broadcasts become rank 1 or 2 (cheaper index arithmetic, and no rank limit of 8 in
 * practice). `strides[j]` are operand j's strides over `shape`.
 */
export function simplifyStrided(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let k = 0; k < shape.length; k++) {
    const dim = shape[k]!;
    if (dim === 1) continue;
    const last = outShape.length - 1;
    const mergeable = last >= 0 && strides.every((s, j) => outStrides[j]![last] === s[k]! * dim);
    if (mergeable) {
      outShape[last] = outShape[last]! * dim;
      strides.forEach((s, j) => (outStrides[j]![last] = s[k]!));
    } else {
      outShape.push(dim);
      strides.forEach((s, j) => outStrides[j]!.push(s[k]!));
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: outShape, strides: outStrides };
}

/**
 * A reduction over `axes` (sorted, distinct) as [outer, size, inner] without moving data, when the
 * axes are one contiguous run; null when they are not (the input is transposed first).
 */
export function reductionPlan(shape: readonly number[], axes: readonly number[]): { outer: number; size: number; inner: number } | null {
  const sorted = [...axes].sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]! + 1) return null;
  const first = sorted[0] ?? shape.length;
  const last = sorted[sorted.length - 1] ?? shape.length - 1;
  const prod = (a: number, b: number) => shape.slice(a, b).reduce((x, y) => x * y, 1);
  return { outer: prod(0, first), size: prod(first, last + 1), inner: prod(last + 1, shape.length) };
}

/** The axes permutation that moves `perm`-transposed data: output axis k reads input axis perm[k]. */
export function transposeStrides(shape: readonly number[], perm: readonly number[]): { shape: number[]; inStrides: number[] } {
  const dense = denseStrides(shape);
  return { shape: perm.map((p) => shape[p]!), inStrides: perm.map((p) => dense[p]!) };
}

/** Batch handling of a batched matmul: equal batches, or one side broadcast (stride 0). */
export function matmulBatch(batchA: number, batchB: number): { batch: number; aStep: boolean; bStep: boolean } | null {
  if (batchA === batchB) return { batch: batchA, aStep: true, bStep: true };
  if (batchA === 1) return { batch: batchB, aStep: false, bStep: true };
  if (batchB === 1) return { batch: batchA, aStep: true, bStep: false };
  return null;
}
