import { BatchMatMul, _FusedMatMul, getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

/** What a backend offers the kernels here: tfjs-backend-wasm's BackendWasm, as far as they use it. */
interface DisposingBackend {
  disposeData(dataId: object): boolean;
}

const WRAPPED = Symbol('convkit: transposes operands first');

/**
 * BatchMatMul products of fewer multiply-adds than this keep tfjs's own path: there the loop costs under a
 * second (about 0.2 G multiply-adds per second) and its results stay bit for bit what they were, so the
 * bundled weights trained on wasm (lenet5's recipe is checked bit for bit) still reproduce exactly.
 */
export const TRANSPOSE_FIRST_MIN_MACS = 2 ** 27;

/** batch * rows * inner * columns of the product a x b, with either operand transposed. */
function multiplyAdds(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): number {
  const batch = Math.max(a.shape.slice(0, -2).reduce((x, y) => x * y, 1), b.shape.slice(0, -2).reduce((x, y) => x * y, 1));
  const [rows, inner] = transposeA ? [a.shape.at(-1)!, a.shape.at(-2)!] : [a.shape.at(-2)!, a.shape.at(-1)!];
  const columns = transposeB ? b.shape.at(-2)! : b.shape.at(-1)!;
  return batch * rows * inner * columns;
}

/**
 * tfjs-backend-wasm 4.22 multiplies matrices with XNNPACK only when neither operand is transposed; with
 * `transposeA` or `transposeB` it runs a plain loop, measured here at 66x (A) and 13x (B) the time for
 * [1024, 2048] x [2048, 1024]. The gradients of every matMul ask for those, so a Faster R-CNN box head's
 * training step spent 59 of its 74 s in them. This wraps the wasm kernel: a transposed operand is first
 * transposed by wasm's own Transpose kernel (a copy, XNNPACK's), and the product then takes the fast path:
 * - BatchMatMul, for products of at least TRANSPOSE_FIRST_MIN_MACS multiply-adds;
 * - _FusedMatMul, always: tfjs's own loop adds the bias of the last column to every row but the first
 *   when `transposeB` is set ([3, 5] x [4, 5]^T + bias gave rows 2 and 3 bias[3] in every column).
 */
function transposingFirst(original: KernelConfig, minMacs: number): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { transposeA, transposeB } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    const a = inputs.a as TensorInfo;
    const b = inputs.b as TensorInfo;
    if ((!transposeA && !transposeB) || multiplyAdds(a, b, Boolean(transposeA), Boolean(transposeB)) < minMacs) {
      return original.kernelFunc({ inputs, backend, attrs });
    }
    const transpose = getKernel('Transpose', 'wasm')!;
    const made: TensorInfo[] = [];
    const swapped = (x: TensorInfo): TensorInfo => {
      const perm = x.shape.map((_, i) => i);
      perm.splice(-2, 2, perm.length - 1, perm.length - 2);
      const info = transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
      made.push(info);
      return info;
    };
    try {
      return original.kernelFunc({
        inputs: { ...inputs, a: transposeA ? swapped(a) : a, b: transposeB ? swapped(b) : b },
        backend,
        attrs: { ...(attrs as NamedAttrMap), transposeA: false, transposeB: false },
      });
    } finally {
      for (const info of made) (backend as unknown as DisposingBackend).disposeData(info.dataId);
    }
  };
  return { ...original, kernelFunc, [WRAPPED]: true } as KernelConfig;
}

/** Wraps wasm's BatchMatMul and _FusedMatMul once (idempotent: a second call finds them wrapped). */
export function registerTransposedMatMulKernels(): void {
  for (const [name, minMacs] of [[BatchMatMul, TRANSPOSE_FIRST_MIN_MACS], [_FusedMatMul, 0]] as const) {
    const kernel = getKernel(name, 'wasm');
    if (!kernel || (kernel as unknown as Record<symbol, unknown>)[WRAPPED]) continue;
    unregisterKernel(name, 'wasm');
    registerKernel(transposingFirst(kernel, minMacs));
  }
}
