import * as tf from '@tensorflow/tfjs-core';
import { runOnCpu } from './cpu-fallback.js';
import { nativeKernel } from './kernel.js';
import { stridedCopy } from './util.js';

/**
 * Tile (and tf.broadcastTo, which runs it) as one strided copy: the output [r0, d0, r1, d1, ...]
 * reads x with stride 0 along every repetition axis.
 */
export const tileConfig = nativeKernel(tf.Tile, ({ inputs, attrs, backend }) => {
  const x = inputs.x!;
  const { reps } = attrs as unknown as tf.TileAttrs;
  const numeric = x.dtype === 'float32' || x.dtype === 'int32' || x.dtype === 'bool';
  if (!numeric || x.shape.length > 4) return runOnCpu(tf.Tile, inputs, attrs, backend, numeric ? `rank ${x.shape.length} input` : `${x.dtype} input`);
  const outShape = x.shape.map((d, k) => d * reps[k]!);
  const out = backend.allocate(outShape, x.dtype);
  if (tf.util.sizeFromShape(outShape) === 0) return out;
  const xStrides = x.shape.length ? tf.util.computeStrides(x.shape).concat([1]) : [];
  const oStrides = outShape.length ? tf.util.computeStrides(outShape).concat([1]) : [];
  const shape: number[] = [];
  const inStrides: number[] = [];
  const outStrides: number[] = [];
  x.shape.forEach((d, k) => {
    shape.push(reps[k]!, d);
    inStrides.push(0, xStrides[k]!);
    outStrides.push(d * oStrides[k]!, oStrides[k]!);
  });
  stridedCopy(backend, backend.ptr(x), backend.ptr(out), shape, inStrides, 0, outStrides, 0);
  return out;
});
