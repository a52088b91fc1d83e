import { Concat, backend_util, util } from '@tensorflow/tfjs-core';
import type { ConcatAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { isFloat, nativeKernel } from './kernel.js';

/** Channel concatenation of images (GoogLeNet's branches, DenseNet's features) in blocked layouts. */
export const concatConfig = nativeKernel(Concat, ({ inputs, backend, attrs }) => {
  const xs = inputs as unknown as TensorInfo[];
  if (xs.length < 2 || !isFloat(...xs) || xs.some((x) => x.shape.length !== 4 || util.sizeFromShape(x.shape) === 0)) return null;
  const axis = util.parseAxisParam((attrs as unknown as ConcatAttrs).axis, xs[0]!.shape)[0];
  if (axis !== 3) return null;
  const outShape = backend_util.computeOutShape(xs.map((x) => x.shape), axis);
  const views = xs.map((x) => backend.view(x));
  const layouts = views.map((v) => v.layout);
  const slots = backend.plan(`concat|${layouts}`, () => backend.addon.planConcat(layouts, 1, -1));
  const dstLayout = slots[slots.length - 1]!;
  const dst = backend.bufferFor(dstLayout);
  backend.execute(slots, [...views.map((v) => v.buffer), dst]);
  return backend.output(outShape, dstLayout, dst);
});
