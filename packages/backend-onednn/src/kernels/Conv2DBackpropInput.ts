import { Conv2DBackpropInput, backend_util } from '@tensorflow/tfjs-core';
import type { Conv2DBackpropInputAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { isFloat, nativeKernel } from './kernel.js';
import { convShape, filterLayout } from './conv-common.js';

/** The input gradient of a convolution, which is also the forward pass of a transposed convolution. */
export const conv2DBackpropInputConfig = nativeKernel(Conv2DBackpropInput, ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as Conv2DBackpropInputAttrs;
  if (dataFormat === 'NCHW' || !isFloat(dy, filter)) return null;
  const info = backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const shape = convShape(info);
  const diffDst = backend.view(dy);
  const slots = backend.plan(`convBwdData|${shape}|${diffDst.layout}`, () => backend.addon.planConvBackwardData(shape, diffDst.layout, -1));
  const [, , weightsLayout, diffSrcLayout] = slots;
  const weights = backend.derived(filter, filterLayout(backend, filter.shape), weightsLayout!);
  const dx = backend.bufferFor(diffSrcLayout!);
  backend.execute(slots, [diffDst.buffer, weights, dx]);
  return backend.output(inputShape.slice(), diffSrcLayout!, dx);
});
