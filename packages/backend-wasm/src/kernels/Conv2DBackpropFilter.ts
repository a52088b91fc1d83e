import {
  Conv2D, Conv2DBackpropFilter, type Conv2DBackpropFilterAttrs, type KernelConfig, type KernelFunc, type NamedAttrMap,
  type TensorInfo, Slice, Transpose, backend_util, getKernel,
} from '@tensorflow/tfjs-core';

interface Backend {
  disposeData(dataId: object): boolean;
}

function run(kernelName: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap, backend: Backend): TensorInfo {
  const kernel = getKernel(kernelName, 'wasm');
  if (!kernel) throw new Error(`Conv2DBackpropFilter on wasm needs the '${kernelName}' kernel, which is not registered`);
  return kernel.kernelFunc({ inputs, attrs, backend: backend as never }) as TensorInfo;
}

/**
 * The filter gradient of a 2-D convolution, which tfjs-backend-wasm 4.22 lacks (so no convolution could
 * be trained on wasm). dW[kh, kw, ci, co] = sum over n, oh, ow of x[n, oh*s + kh*d - pad, ow*s + kw*d - pad, ci]
 * * dy[n, oh, ow, co] is itself a convolution: of x transposed to [Ci, H, W, N] (batch and channels
 * swapped) with dy transposed to [OH, OW, N, Co] as the filter, the forward stride becoming the
 * dilation and the forward dilation the stride. XNNPACK's convolution then does the work.
 * x: [N, H, W, Ci], dy: [N, OH, OW, Co] -> dW: [kH, kW, Ci, Co].
 */
const conv2DBackpropFilter: KernelFunc = ({ inputs, attrs, backend }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
  const format = backend_util.convertConv2DDataFormat(dataFormat);
  if (format !== 'channelsLast') throw new Error(`wasm Conv2DBackpropFilter supports only NHWC, got dataFormat '${dataFormat}'`);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, format);
  const [kh, kw, inChannels, outChannels] = filterShape;
  const [height, width] = [x.shape[1]!, x.shape[2]!];
  const { top, left } = info.padInfo;
  // Pad the far side just enough for kh x kw outputs; rows the forward pass never reached are cropped after.
  const bottom = Math.max(0, kh + info.strideHeight * (info.outHeight - 1) - height - top);
  const right = Math.max(0, kw + info.strideWidth * (info.outWidth - 1) - width - left);
  const b = backend as unknown as Backend;
  const xT = run(Transpose, { x }, { perm: [3, 1, 2, 0] }, b);
  const dyT = run(Transpose, { x: dy }, { perm: [1, 2, 0, 3] }, b);
  const full = run(Conv2D, { x: xT, filter: dyT }, {
    strides: [1, 1], dilations: [info.strideHeight, info.strideWidth], dataFormat: 'NHWC', dimRoundingMode: null,
    pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
  } as unknown as NamedAttrMap, b);
  b.disposeData(xT.dataId);
  b.disposeData(dyT.dataId);
  let grad = full;
  if (full.shape[1] !== kh || full.shape[2] !== kw) {
    grad = run(Slice, { x: full }, { begin: [0, 0, 0, 0], size: [inChannels, kh, kw, outChannels] }, b);
    b.disposeData(full.dataId);
  }
  const out = run(Transpose, { x: grad }, { perm: [1, 2, 0, 3] }, b);
  b.disposeData(grad.dataId);
  return out;
};

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter,
};
