import { Mean, util } from '@tensorflow/tfjs-core';
import type { MeanAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { isFloat, nativeKernel } from './kernel.js';
import { POOLING } from '../native/addon.js';

/** The spatial mean of images (global average pooling) as one pooling window over H x W, out in row-major order. */
export const meanConfig = nativeKernel(Mean, ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: TensorInfo };
  const { axis, keepDims } = attrs as unknown as MeanAttrs;
  if (!isFloat(x) || x.shape.length !== 4) return null;
  const axes = util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
  if (axes.length !== 2 || axes[0] !== 1 || axes[1] !== 2) return null;
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const shape = [n, c, 1, 1, h, w, 1, 1, 0, 0, 0, 0];
  const src = backend.view(x);
  const dstLayout = backend.plainLayout([n, 1, 1, c]);
  const slots = backend.plan(`pool|mean|${shape}|${src.layout}`, () => backend.addon.planPoolForward(POOLING.avgIncludePadding, shape, src.layout, dstLayout));
  const dst = new Float32Array(n * c);
  backend.execute(slots, [src.buffer, dst]);
  return backend.outputPlain(keepDims ? [n, 1, 1, c] : [n, c], dst);
});
