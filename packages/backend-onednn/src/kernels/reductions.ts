import { Max, Mean, Min, Sum, util } from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { type KernelArgs, isFloat, nativeKernel } from './kernel.js';
import { POOLING, REDUCTION } from '../native/addon.js';

type Op = (typeof REDUCTION)[keyof typeof REDUCTION];

/**
 * A reduction over any axes as one oneDNN primitive, from the input's own layout (BatchNorm's training
 * statistics over N, H and W read the blocked activations directly); out in row-major order.
 */
function reduce(op: Op, { inputs, backend, attrs }: KernelArgs): TensorInfo | null {
  const { x } = inputs as { x: TensorInfo };
  const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
  if (!isFloat(x) || x.shape.length === 0 || x.shape.length > 12 || util.sizeFromShape(x.shape) === 0) return null;
  const axes = util.parseAxisParam(axis, x.shape);
  if (axes.length === 0) return null;
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outShape = keepDims ? kept : x.shape.filter((_, i) => !axes.includes(i));
  const src = backend.view(x);
  const dstLayout = backend.plainLayout(kept);
  const slots = backend.plan(`reduce|${op}|${src.layout}|${dstLayout}`, () => {
    // The spatial mean of an image (global average pooling) is one pooling window; faster than the reduction.
    if (op === REDUCTION.mean && x.shape.length === 4 && axes.length === 2 && axes.includes(1) && axes.includes(2)) {
      const [n, h, w, c] = x.shape as [number, number, number, number];
      return backend.addon.planPoolForward(POOLING.avgIncludePadding, [n, c, 1, 1, h, w, 1, 1, 0, 0, 0, 0], src.layout, dstLayout);
    }
    return backend.addon.planReduction(op, src.layout, dstLayout);
  });
  const dst = backend.bufferFor(dstLayout);
  backend.execute(slots, [src.buffer, dst]);
  // Dropping size-1 axes keeps the row-major order: the same buffer is the output's plain layout.
  return backend.output(outShape, backend.plainLayout(outShape), dst);
}

export const sumConfig = nativeKernel(Sum, (args) => reduce(REDUCTION.sum, args));
export const meanConfig = nativeKernel(Mean, (args) => reduce(REDUCTION.mean, args));
export const maxConfig = nativeKernel(Max, (args) => {
  const { reductionIndices, keepDims } = args.attrs as unknown as { reductionIndices: number | number[]; keepDims: boolean };
  return reduce(REDUCTION.max, { ...args, attrs: { axis: reductionIndices, keepDims } });
});
export const minConfig = nativeKernel(Min, (args) => reduce(REDUCTION.min, args));
