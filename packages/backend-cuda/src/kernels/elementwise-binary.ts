import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { CudaBackend } from '../backend.js';
import { BINARY, BOOL_RESULT, DTYPE, INT_BINARY } from '../native/ops.js';
import { broadcastStrides, simplifyStrided } from '../plan.js';
import { runOnCpu } from './cpu-fallback.js';
import { nativeKernel } from './kernel.js';

/**
 * `a op b` with numpy broadcasting, for float32, and for int32/bool where tfjs-backend-cpu computes
 * the op in integers. Output dtype: bool for comparisons and logic, else the inputs' dtype.
 */
export function binaryOp(backend: CudaBackend, kernelName: keyof typeof BINARY, a: TensorInfo, b: TensorInfo): TensorInfo {
  const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const isFloat = a.dtype === 'float32' && b.dtype === 'float32';
  const outDtype = BOOL_RESULT.has(kernelName) ? 'bool' : a.dtype;
  const out = backend.allocate(outShape, outDtype);
  const size = tf.util.sizeFromShape(outShape);
  if (size === 0) return out;
  const s = simplifyStrided(outShape, [broadcastStrides(a.shape, outShape), broadcastStrides(b.shape, outShape)]);
  backend.addon.binary(BINARY[kernelName], isFloat ? DTYPE.float32 : DTYPE.int32, backend.ptr(a), backend.ptr(b), backend.ptr(out), s.shape, s.strides[0]!, s.strides[1]!, outDtype !== 'float32' && isFloat);
  return out;
}

function binaryKernel(kernelName: keyof typeof BINARY): tf.KernelConfig {
  return nativeKernel(kernelName, ({ inputs, attrs, backend }) => {
    // Prelu names its inputs x and alpha; all others a and b.
    const a = (inputs.a ?? inputs.x)!;
    const b = (inputs.b ?? inputs.alpha)!;
    const floats = a.dtype === 'float32' && b.dtype === 'float32';
    const ints = (a.dtype === 'int32' || a.dtype === 'bool') && a.dtype === b.dtype && INT_BINARY.has(kernelName);
    if (!floats && !ints) return runOnCpu(kernelName, inputs, attrs, backend, `${a.dtype} and ${b.dtype} inputs`);
    return binaryOp(backend, kernelName, a, b);
  });
}

export const BINARY_KERNELS = (Object.keys(BINARY) as (keyof typeof BINARY)[]).map(binaryKernel);
