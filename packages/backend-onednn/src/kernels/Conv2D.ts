import { Conv2D, backend_util } from '@tensorflow/tfjs-core';
import type { Conv2DAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { type KernelArgs, isFloat, nativeKernel } from './kernel.js';
import { activationCode, convShape, filterLayout } from './conv-common.js';

/**
 * Convolution with optional bias and fused activation as one oneDNN primitive (post-ops); x in any
 * layout, y in the layout oneDNN picks (blocked), the filter reordered once and kept with its tensor.
 */
export function convolution({ inputs, backend, attrs }: KernelArgs, bias: TensorInfo | undefined, activation: string | undefined, leakyreluAlpha: number): TensorInfo | null {
  const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as unknown as Conv2DAttrs;
  const act = activationCode(activation);
  if (act === undefined || dataFormat === 'NCHW' || !isFloat(x, filter, bias)) return null;
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], strides, dilations, pad, dimRoundingMode, false, 'channelsLast');
  if (bias && (bias.shape[bias.shape.length - 1] !== info.outChannels || bias.shape.reduce((a, b) => a * b, 1) !== info.outChannels)) return null;
  const shape = convShape(info);
  const src = backend.view(x);
  const slots = backend.plan(`conv|${shape}|${src.layout}|${bias ? 1 : 0}|${act}|${leakyreluAlpha}`, () => backend.addon.planConvForward(shape, src.layout, -1, Boolean(bias), act, leakyreluAlpha));
  const weightsLayout = slots[2]!;
  const dstLayout = slots[slots.length - 1]!;
  const weights = backend.derived(filter, filterLayout(backend, filter.shape), weightsLayout);
  const dst = backend.bufferFor(dstLayout);
  const buffers = bias ? [src.buffer, weights, backend.floats(bias), dst] : [src.buffer, weights, dst];
  backend.execute(slots, buffers);
  return backend.output(info.outShape.slice(), dstLayout, dst);
}

export const conv2DConfig = nativeKernel(Conv2D, (args) => convolution(args, undefined, undefined, 0));
