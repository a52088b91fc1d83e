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
  // oneDNN concatenates inputs of one blocked layout with copies of whole blocks; one input in another
  // layout (a pooled stem in row-major order) sends all of them through its element-wise reference code.
  const views = xs.map((x) => {
    const blocked = backend.imageLayout(x.shape);
    return blocked >= 0 ? backend.viewIn(x, blocked) : { ...backend.view(x), temporary: false };
  });
  const layouts = views.map((v) => v.layout);
  const slots = backend.plan(`concat|${layouts}`, () => backend.addon.planConcat(layouts, 1, -1));
  const dstLayout = slots[slots.length - 1]!;
  const dst = backend.bufferFor(dstLayout);
  backend.execute(slots, [...views.map((v) => v.buffer), dst]);
  for (const view of views) backend.release(view);
  return backend.output(outShape, dstLayout, dst);
});
