import * as tf from '@tensorflow/tfjs-core';
import type { DataType, TensorInfo } from '@tensorflow/tfjs-core';
import type { CudaBackend } from '../backend.js';
import { CAST, DTYPE, REDUCE } from '../native/ops.js';
import { reductionPlan } from '../plan.js';
import { runOnCpu } from './cpu-fallback.js';
import { disposeTemps, nativeKernel } from './kernel.js';
import { transposed } from './util.js';

type ReduceName = keyof typeof REDUCE;

/** The dtype tfjs gives each reduction's result. */
function resultDtype(name: ReduceName, dtype: DataType): DataType {
  if (name === 'ArgMax' || name === 'ArgMin') return 'int32';
  if (name === 'Any' || name === 'All') return 'bool';
  if (name === 'Mean') return 'float32';
  if (name === 'Sum' || name === 'Prod') return dtype === 'bool' ? 'int32' : dtype;
  return dtype;
}

/**
 * Reduces `x` over `axes`. Contiguous axes are reduced in place as [outer, size, inner]; other
 * sets are first transposed to the end, as tfjs' own backends do.
 */
export function reduceOp(backend: CudaBackend, name: ReduceName, x: TensorInfo, axes: number[], keepDims: boolean): TensorInfo {
  const [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
  const dtype = resultDtype(name, x.dtype);
  const out = backend.allocate(keepDims ? tf.backend_util.expandShapeToKeepDim(outShape, axes) : outShape, dtype);
  let source = x;
  let temp: TensorInfo | null = null;
  try {
    if (name === 'Mean' && x.dtype !== 'float32') {
      temp = backend.allocate(x.shape, 'float32');
      backend.addon.cast(CAST.intToFloat, backend.ptr(x), backend.ptr(temp), tf.util.sizeFromShape(x.shape));
      source = temp;
    }
    let plan = reductionPlan(source.shape, axes);
    if (!plan) {
      const perm = tf.backend_util.getAxesPermutation(axes, source.shape.length)!;
      const moved = transposed(backend, source, perm);
      disposeTemps(backend, temp);
      temp = moved;
      source = moved;
      plan = reductionPlan(moved.shape, tf.backend_util.getInnerMostAxes(axes.length, moved.shape.length))!;
    }
    if (plan.outer * plan.inner > 0) {
      backend.addon.reduce(REDUCE[name], source.dtype === 'float32' ? DTYPE.float32 : DTYPE.int32, backend.ptr(source), backend.ptr(out), plan.outer, plan.size, plan.inner, dtype !== 'float32');
    }
    return out;
  } finally {
    disposeTemps(backend, temp);
  }
}

function reduceKernel(name: ReduceName): tf.KernelConfig {
  return nativeKernel(name, ({ inputs, attrs, backend }) => {
    const x = inputs.x!;
    if (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool') return runOnCpu(name, inputs, attrs, backend, `${x.dtype} input`);
    // Max names its axes reductionIndices; the other reductions call them axis.
    const axes = tf.util.parseAxisParam((attrs.axis ?? attrs.reductionIndices) as number | number[], x.shape).sort((a, b) => a - b);
    const keepDims = (attrs.keepDims as boolean | undefined) ?? false;
    if (tf.util.sizeFromShape(x.shape) === 0 || axes.some((a) => x.shape[a] === 0)) return runOnCpu(name, inputs, attrs, backend, 'an empty reduction');
    return reduceOp(backend, name, x, axes, keepDims);
  });
}

export const REDUCTION_KERNELS = (Object.keys(REDUCE) as ReduceName[]).map(reduceKernel);
