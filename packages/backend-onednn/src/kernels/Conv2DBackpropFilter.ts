import { Conv2DBackpropFilter, backend_util } from '@tensorflow/tfjs-core';
import type { Conv2DBackpropFilterAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { isFloat, nativeKernel } from './kernel.js';
import { convShape, filterLayout } from './conv-common.js';

/** The filter gradient, written straight into tfjs's [kH, kW, in, out] order. */
export const conv2DBackpropFilterConfig = nativeKernel(Conv2DBackpropFilter, ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
  if (dataFormat === 'NCHW' || !isFloat(x, dy)) return null;
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const shape = convShape(info);
  const src = backend.view(x);
  const diffDst = backend.view(dy);
  const hwio = filterLayout(backend, filterShape);
  const slots = backend.plan(`convBwdWeights|${shape}|${src.layout}|${diffDst.layout}`, () => backend.addon.planConvBackwardWeights(shape, src.layout, diffDst.layout, hwio));
  const dw = backend.bufferFor(hwio);
  backend.execute(slots, [src.buffer, diffDst.buffer, dw]);
  // hwio is tfjs's row-major order of the filter shape: the same bytes as its plain layout.
  return backend.output(filterShape.slice(), backend.plainLayout(filterShape), dw);
});
