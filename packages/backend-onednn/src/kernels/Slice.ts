import { Slice, slice_util, util } from '@tensorflow/tfjs-core';
import type { SliceAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { isFloat, nativeKernel } from './kernel.js';

/**
 * A box of an image (the crop of an FCN, the gradient of a padding) as a reorder from a sub-memory of
 * the input: in its blocked layout where whole channel blocks are taken, else from row-major values.
 */
export const sliceConfig = nativeKernel(Slice, ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: TensorInfo };
  if (!isFloat(x) || x.shape.length !== 4) return null;
  const [begin, size] = slice_util.parseSliceParams(x as never, (attrs as unknown as SliceAttrs).begin, (attrs as unknown as SliceAttrs).size);
  if (util.sizeFromShape(size) === 0 || size.every((d, i) => d === x.shape[i])) return null;
  const blockedIn = backend.view(x).layout === backend.imageLayout(x.shape);
  const wholeChannels = begin[3] === 0 && size[3] === x.shape[3];
  const src = blockedIn && wholeChannels ? backend.view(x) : { buffer: backend.floats(x), layout: backend.plainLayout(x.shape) };
  const blockedOut = src.layout === backend.imageLayout(x.shape) ? backend.imageLayout(size) : -1;
  const dstLayout = blockedOut >= 0 ? blockedOut : backend.plainLayout(size);
  const [n, h, w, c] = size as [number, number, number, number];
  const box = backend.layout(`box|${src.layout}|${begin}|${size}`, () => backend.addon.layoutSubmemory(src.layout, [n, c, h, w], [begin[0]!, begin[3]!, begin[1]!, begin[2]!]));
  const slots = backend.plan(`reorder|${box}|${dstLayout}`, () => backend.addon.planReorder(box, dstLayout));
  const dst = backend.bufferFor(dstLayout);
  backend.execute(slots, [src.buffer, dst]);
  return backend.output(size.slice(), dstLayout, dst);
});
