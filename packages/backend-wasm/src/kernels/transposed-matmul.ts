import { BatchMatMul, _FusedMatMul, getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

/** What a backend offers the kernels here: tfjs-backend-wasm's BackendWasm, as far as they use it. */
interface DisposingBackend {
  disposeData(dataId: object): boolean;
}

const WRAPPED = Symbol('convkit: transposes operands first');

/**
 * tfjs-backend-wasm 4.22 multiplies matrices with XNNPACK only when neither operand is transposed; with
 * `transposeA` or `transposeB` it runs a plain loop, measured here at 66x (A) and 13x (B) the time for
 * [1024, 2048] x [2048, 1024]. The gradients of every matMul ask for those, so a Faster R-CNN box head's
 * training step spent 59 of its 74 s in them. This wraps the wasm kernel: a transposed operand is first
 * transposed by wasm's own Transpose kernel (a copy, XNNPACK's), and the product then takes the fast path.
 */
function transposingFirst(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { transposeA, transposeB } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    if (!transposeA && !transposeB) return original.kernelFunc({ inputs, backend, attrs });
    const transpose = getKernel('Transpose', 'wasm')!;
    const made: TensorInfo[] = [];
    const swapped = (x: TensorInfo): TensorInfo => {
      const perm = x.shape.map((_, i) => i);
      perm.splice(-2, 2, perm.length - 1, perm.length - 2);
      const info = transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
      made.push(info);
      return info;
    };
    const a = inputs.a as TensorInfo;
    const b = inputs.b as TensorInfo;
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
  for (const name of [BatchMatMul, _FusedMatMul]) {
    const kernel = getKernel(name, 'wasm');
    if (!kernel || (kernel as unknown as Record<symbol, unknown>)[WRAPPED]) continue;
    unregisterKernel(name, 'wasm');
    registerKernel(transposingFirst(kernel));
  }
}
