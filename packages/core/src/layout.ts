import type { HostTensor } from './io/host-tensor.js';

/**
 * How a parameter's PyTorch layout relates to ours (activations are NHWC, so weights follow tfjs):
 * - `conv2d`: PyTorch [O, I/groups, kH, kW], ours [kH, kW, I/groups, O] (tfjs conv2d filter);
 * - `convTranspose2d`: PyTorch [I, O/groups, kH, kW], ours [kH, kW, O/groups, I] (tfjs conv2dTranspose filter);
 * - `linear`: PyTorch [out, in], ours [in, out];
 * - `plain`: the same in both.
 */
export type ParameterLayout = 'plain' | 'conv2d' | 'convTranspose2d' | 'linear';

/** Axis permutation taking our layout to PyTorch's. */
const TO_TORCH: Record<ParameterLayout, number[] | null> = {
  plain: null,
  conv2d: [3, 2, 0, 1],
  convTranspose2d: [3, 2, 0, 1],
  linear: [1, 0],
};

function inversePermutation(perm: number[]): number[] {
  const inverse = new Array<number>(perm.length);
  perm.forEach((axis, i) => (inverse[axis] = i));
  return inverse;
}

/** The shape PyTorch gives a parameter whose shape in our layout is `shape`. */
export function torchShape(shape: readonly number[], layout: ParameterLayout): number[] {
  const perm = TO_TORCH[layout];
  return perm && shape.length === perm.length ? perm.map((axis) => shape[axis]!) : shape.slice();
}

/** Row-major transpose on the host: out[i0..] = in[perm...]. */
export function transposeHost<T extends HostTensor>(t: T, perm: readonly number[]): T {
  const rank = t.shape.length;
  if (perm.length !== rank) throw new Error(`permutation ${perm} does not fit rank ${rank}`);
  const outShape = perm.map((axis) => t.shape[axis]!);
  const inStrides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; i--) { inStrides[i] = s; s *= t.shape[i]!; }
  const strideOfOut = perm.map((axis) => inStrides[axis]!);
  const data = new (t.data.constructor as new (n: number) => T['data'])(t.data.length);
  const index = new Array<number>(rank).fill(0);
  let source = 0;
  for (let o = 0; o < data.length; o++) {
    (data as unknown as number[])[o] = (t.data as unknown as number[])[source]!;
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]!++;
      source += strideOfOut[axis]!;
      if (index[axis]! < outShape[axis]!) break;
      source -= strideOfOut[axis]! * outShape[axis]!;
      index[axis] = 0;
    }
  }
  return { ...t, shape: outShape, data };
}

export function toTorchLayout<T extends HostTensor>(t: T, layout: ParameterLayout): T {
  const perm = TO_TORCH[layout];
  return perm && t.shape.length === perm.length ? transposeHost(t, perm) : t;
}

export function fromTorchLayout<T extends HostTensor>(t: T, layout: ParameterLayout): T {
  const perm = TO_TORCH[layout];
  return perm && t.shape.length === perm.length ? transposeHost(t, inversePermutation(perm)) : t;
}
