import { PadV2 } from '@tensorflow/tfjs-core';
import type { PadV2Attrs, TensorInfo } from '@tensorflow/tfjs-core';
import { isFloat, nativeKernel } from './kernel.js';

/**
 * Spatial padding of an image (before max pooling, which pads with -Infinity): the output is filled
 * with the constant, and the input reordered into its interior, from whatever layout it is in.
 */
export const padV2Config = nativeKernel(PadV2, ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: TensorInfo };
  const { paddings, constantValue } = attrs as unknown as PadV2Attrs;
  if (!isFloat(x) || x.shape.length !== 4 || paddings.flat().some((p) => p < 0)) return null;
  if (paddings[0]!.some((p) => p !== 0) || paddings[3]!.some((p) => p !== 0)) return null;
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const [[top, bottom], [left, right]] = [paddings[1]!, paddings[2]!] as [[number, number], [number, number]];
  const outShape = [n, h + top + bottom, w + left + right, c];
  const src = backend.view(x);
  // A blocked input is padded in the same blocked layout, so the pooling after it stays blocked too.
  // Only where the channels fill whole blocks: padding lanes must stay zero, not take the constant.
  let blocked = src.layout === backend.imageLayout(x.shape) ? backend.imageLayout(outShape) : -1;
  if (blocked >= 0 && backend.layoutSize(blocked) !== 4 * n * c * outShape[1]! * outShape[2]!) blocked = -1;
  const outLayout = blocked >= 0 ? blocked : backend.plainLayout(outShape);
  const interior = backend.layout(`interior|${outLayout}|${x.shape}|${top}|${left}`, () => backend.addon.layoutSubmemory(outLayout, [n, c, h, w], [0, 0, top, left]));
  const slots = backend.plan(`reorder|${src.layout}|${interior}`, () => backend.addon.planReorder(src.layout, interior));
  const dst = backend.bufferFor(outLayout).fill(constantValue);
  backend.execute(slots, [src.buffer, dst]);
  return backend.output(outShape, outLayout, dst);
});
