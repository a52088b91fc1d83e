import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { CudaBackend } from '../backend.js';
import type { DevicePtr } from '../native/addon.js';
import { CONV } from '../native/ops.js';
import { denseStrides } from '../plan.js';
import { disposeTemps } from './kernel.js';
import { padded, stridedCopy, transposeInto } from './util.js';

type Conv2DInfo = tf.backend_util.Conv2DInfo;

/**
 * cuDNN takes NHWC activations and KRSC filters ([out, kh, kw, in/groups]); tfjs keeps conv filters
 * as [kh, kw, in, out] and depthwise filters as [kh, kw, in, multiplier], which as a grouped
 * convolution (groups = in) is KRSC [in * multiplier, kh, kw, 1] after moving the last two axes first.
 */
const TO_KRSC = { conv: [3, 0, 1, 2], depthwise: [2, 3, 0, 1] } as const;
/** KRSC back to tfjs' layouts: conv from [K, R, S, C]; depthwise from [C, M, R, S] (the same bytes). */
const FROM_KRSC = { conv: [1, 2, 3, 0], depthwise: [2, 3, 0, 1] } as const;

export type ConvKind = keyof typeof TO_KRSC;

/** Why cuDNN cannot run this convolution as we call it, or null. */
export function unsupportedConv(info: Conv2DInfo): string | null {
  if (info.dataFormat !== 'channelsLast') return 'NCHW data format';
  return null;
}

function symmetric(info: Conv2DInfo): boolean {
  return info.padInfo.top === info.padInfo.bottom && info.padInfo.left === info.padInfo.right;
}

/** The 16 numbers native conv2d* take: n h w c k r s oh ow padH padW strideH strideW dilH dilW groups. */
function params(info: Conv2DInfo, kind: ConvKind, h: number, w: number, padH: number, padW: number): number[] {
  const groups = kind === 'depthwise' ? info.inChannels : 1;
  return [info.batchSize, h, w, info.inChannels, info.outChannels, info.filterHeight, info.filterWidth, info.outHeight, info.outWidth,
    padH, padW, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth, groups];
}

function filterKrsc(backend: CudaBackend, filter: TensorInfo, kind: ConvKind): DevicePtr {
  return backend.derived(filter, `krsc-${kind}`, (into) => transposeInto(backend, filter, TO_KRSC[kind], into));
}

/** y = conv(x, filter): cuDNN pads symmetrically, so tfjs' uneven 'same' padding is applied to x first. */
export function convForward(backend: CudaBackend, x: TensorInfo, filter: TensorInfo, info: Conv2DInfo, kind: ConvKind): TensorInfo {
  const { top, bottom, left, right } = info.padInfo;
  const even = symmetric(info);
  const source = even ? x : padded(backend, x, [[0, 0], [top, bottom], [left, right], [0, 0]], 0);
  try {
    const y = backend.allocate(info.outShape, 'float32');
    if (tf.util.sizeFromShape(info.outShape) === 0) return y;
    const p = even ? params(info, kind, info.inHeight, info.inWidth, top, left) : params(info, kind, source.shape[1]!, source.shape[2]!, 0, 0);
    backend.addon.conv2d(CONV.forward, backend.ptr(source), filterKrsc(backend, filter, kind), backend.ptr(y), p);
    return y;
  } finally {
    if (source !== x) disposeTemps(backend, source);
  }
}

/** dx of a convolution (also a transposed convolution's forward pass). */
export function convBackwardData(backend: CudaBackend, dy: TensorInfo, filter: TensorInfo, info: Conv2DInfo, kind: ConvKind): TensorInfo {
  const { top, bottom, left, right } = info.padInfo;
  const dx = backend.allocate(info.inShape, 'float32');
  if (tf.util.sizeFromShape(info.inShape) === 0) return dx;
  const w = filterKrsc(backend, filter, kind);
  if (symmetric(info)) {
    backend.addon.conv2d(CONV.backwardData, backend.ptr(dy), w, backend.ptr(dx), params(info, kind, info.inHeight, info.inWidth, top, left));
    return dx;
  }
  // Uneven padding: the gradient of the explicitly padded input, cropped.
  const [n, h, wd, c] = info.inShape;
  const full = backend.allocate([n, h + top + bottom, wd + left + right, c], 'float32');
  try {
    backend.addon.conv2d(CONV.backwardData, backend.ptr(dy), w, backend.ptr(full), params(info, kind, full.shape[1]!, full.shape[2]!, 0, 0));
    const fullStrides = tf.util.computeStrides(full.shape).concat([1]);
    const offset = top * fullStrides[1]! + left * fullStrides[2]!;
    stridedCopy(backend, backend.ptr(full), backend.ptr(dx), info.inShape, fullStrides, offset, denseStrides(info.inShape), 0);
    return dx;
  } finally {
    disposeTemps(backend, full);
  }
}

/** dW of a convolution, in tfjs' filter layout. */
export function convBackwardFilter(backend: CudaBackend, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo, kind: ConvKind): TensorInfo {
  const { top, bottom, left, right } = info.padInfo;
  const even = symmetric(info);
  const source = even ? x : padded(backend, x, [[0, 0], [top, bottom], [left, right], [0, 0]], 0);
  const [r, s, c, k] = info.filterShape;
  // The KRSC gradient, shaped so that FROM_KRSC brings it back to tfjs' layout.
  const krscShape = kind === 'conv' ? [k, r, s, c] : [c, k, r, s];
  const krsc = backend.allocate(krscShape, 'float32');
  try {
    const dw = backend.allocate(info.filterShape, 'float32');
    if (tf.util.sizeFromShape(info.filterShape) === 0) return dw;
    const p = even ? params(info, kind, info.inHeight, info.inWidth, top, left) : params(info, kind, source.shape[1]!, source.shape[2]!, 0, 0);
    backend.addon.conv2d(CONV.backwardFilter, backend.ptr(source), backend.ptr(dy), backend.ptr(krsc), p);
    transposeInto(backend, krsc, FROM_KRSC[kind], backend.ptr(dw));
    return dw;
  } finally {
    disposeTemps(backend, krsc);
    if (source !== x) disposeTemps(backend, source);
  }
}
