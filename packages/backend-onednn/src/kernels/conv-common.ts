import { backend_util } from '@tensorflow/tfjs-core';
import type { OnednnBackend } from '../backend.js';
import type { LayoutId } from '../native/addon.js';
import { ACTIVATION } from '../native/addon.js';

/** The addon's convolution shape: [src NCHW, weights OIHW, dst NCHW, strides, dilations (0 = dense), padL, padR]. */
export function convShape(info: backend_util.Conv2DInfo): number[] {
  const p = info.padInfo;
  return [
    info.batchSize, info.inChannels, info.inHeight, info.inWidth,
    info.outChannels, info.inChannels, info.filterHeight, info.filterWidth,
    info.batchSize, info.outChannels, info.outHeight, info.outWidth,
    info.strideHeight, info.strideWidth,
    info.dilationHeight - 1, info.dilationWidth - 1,
    p.top, p.left,
    p.bottom, p.right,
  ];
}

/** tfjs's filter layout [kH, kW, in, out] as oneDNN weights [O, I, kH, kW] with those strides ("hwio"). */
export function filterLayout(backend: OnednnBackend, shape: number[]): LayoutId {
  return backend.layout(`hwio|${shape}`, () => {
    const [kh, kw, inC, outC] = shape as [number, number, number, number];
    return backend.addon.layoutStrided([outC, inC, kh, kw], [1, outC, kw * inC * outC, inC * outC]);
  });
}

/** The addon's number for a tfjs fused activation, or undefined where it has none (prelu). */
export function activationCode(activation: string | undefined): number | undefined {
  switch (activation ?? 'linear') {
    case 'linear': return ACTIVATION.none;
    case 'relu': return ACTIVATION.relu;
    case 'relu6': return ACTIVATION.relu6;
    case 'elu': return ACTIVATION.elu;
    case 'sigmoid': return ACTIVATION.sigmoid;
    case 'leakyrelu': return ACTIVATION.leakyrelu;
    default: return undefined;
  }
}
