import { Tile, util } from '@tensorflow/tfjs-core';
import type { TensorInfo, TileAttrs } from '@tensorflow/tfjs-core';
import { isFloat, nativeKernel } from './kernel.js';

/**
 * Tiling that repeats the whole input along leading axes (tfjs's batch-norm gradient tiles a [1, 1, 1, C]
 * vector over N, H and W): memory copies that double each time, not one element at a time.
 */
export const tileConfig = nativeKernel(Tile, ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: TensorInfo };
  const { reps } = attrs as unknown as TileAttrs;
  if (!isFloat(x) || reps.length !== x.shape.length) return null;
  // Axes before `split` may repeat but hold a single element; axes from `split` on do not repeat.
  const split = reps.length - [...reps].reverse().findIndex((r) => r !== 1);
  if (split > reps.length || x.shape.slice(0, split).some((d) => d !== 1)) return null;
  const outShape = x.shape.map((d, i) => d * reps[i]!);
  const values = backend.floats(x);
  const block = values.length;
  const total = util.sizeFromShape(outShape);
  const layout = backend.plainLayout(outShape);
  const out = backend.bufferFor(layout);
  out.set(values);
  for (let filled = block; filled < total; filled *= 2) out.copyWithin(filled, 0, Math.min(filled, total - filled));
  return backend.output(outShape, layout, out);
});
