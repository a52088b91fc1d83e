import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { CudaBackend } from '../backend.js';
import { BOOL_UNARY, DTYPE, INT_UNARY, UNARY } from '../native/ops.js';
import { runOnCpu } from './cpu-fallback.js';
import { nativeKernel } from './kernel.js';

/** `op(x)` elementwise; p0/p1 carry LeakyRelu's alpha, Step's alpha or ClipByValue's bounds. */
export function unaryOp(backend: CudaBackend, kernelName: keyof typeof UNARY, x: TensorInfo, p0 = 0, p1 = 0): TensorInfo {
  const outDtype = BOOL_UNARY.has(kernelName) ? 'bool' : x.dtype;
  const out = backend.allocate(x.shape, outDtype);
  const size = tf.util.sizeFromShape(x.shape);
  if (size > 0) backend.addon.unary(UNARY[kernelName], x.dtype === 'float32' ? DTYPE.float32 : DTYPE.int32, backend.ptr(x), backend.ptr(out), size, p0, p1, x.dtype === 'float32' && outDtype !== 'float32');
  return out;
}

function params(kernelName: string, attrs: tf.NamedAttrMap): [number, number] {
  switch (kernelName) {
    case 'LeakyRelu':
    case 'Step':
      return [attrs.alpha as number, 0];
    case 'ClipByValue':
      return [attrs.clipValueMin as number, attrs.clipValueMax as number];
    default:
      return [0, 0];
  }
}

function unaryKernel(kernelName: keyof typeof UNARY): tf.KernelConfig {
  return nativeKernel(kernelName, ({ inputs, attrs, backend }) => {
    const x = inputs.x!;
    const ok = x.dtype === 'float32' || ((x.dtype === 'int32' || x.dtype === 'bool') && INT_UNARY.has(kernelName));
    if (!ok) return runOnCpu(kernelName, inputs, attrs, backend, `${x.dtype} input`);
    const [p0, p1] = params(kernelName, attrs);
    return unaryOp(backend, kernelName, x, p0, p1);
  });
}

export const UNARY_KERNELS = (Object.keys(UNARY) as (keyof typeof UNARY)[]).map(unaryKernel);
