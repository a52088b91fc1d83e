import { backend_util } from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { POOLING } from '../native/addon.js';

export interface PoolAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The addon's pooling shape [dst NCHW, kernel, strides, padL, padR] and tfjs's pooling info. */
export function poolShape(x: TensorInfo, attrs: PoolAttrs): { info: backend_util.Conv2DInfo; shape: number[] } {
  const info = backend_util.computePool2DInfo(x.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const p = info.padInfo;
  const shape = [
    info.batchSize, info.outChannels, info.outHeight, info.outWidth,
    info.filterHeight, info.filterWidth,
    info.strideHeight, info.strideWidth,
    p.top, p.left, p.bottom, p.right,
  ];
  return { info, shape };
}

/** tfjs averages only the window's values inside the image, as oneDNN's exclude-padding mode. */
export function poolingKind(max: boolean): number {
  return max ? POOLING.max : POOLING.avgExcludePadding;
}
