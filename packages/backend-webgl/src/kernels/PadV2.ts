import {
  type KernelConfig, type KernelFunc, type NamedAttrMap, PadV2, type PadV2Attrs, Reshape, type TensorInfo, getKernel, util,
} from '@tensorflow/tfjs-core';

interface Backend {
  disposeIntermediateTensorInfo(info: TensorInfo): void;
}

/**
 * tfjs-backend-webgl 4.22's PadV2 shaders, packed and unpacked, only compile for rank <= 4 (at rank 5 and 6
 * they compare its ivec5/ivec6 structs with lessThan, which GLSL does not have), so `tf.pad` of a rank-6
 * tensor fails with "Failed to compile fragment shader" (convkit's dilated kernels spread taps that way).
 * This wraps the stock kernel: rank <= 4 goes to it unchanged; higher ranks are padded one axis at a time,
 * viewed as [before, axis, after] (rank 3), which the stock shaders handle; reshapes on webgl are free.
 */
export function padV2Config(stock: KernelFunc): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.shape.length <= 4) return stock(args);
    const { paddings, constantValue } = args.attrs as unknown as PadV2Attrs;
    const backend = args.backend as unknown as Backend;
    const reshape = getKernel(Reshape, 'webgl')!.kernelFunc;
    const view = (t: TensorInfo, shape: number[]) =>
      reshape({ inputs: { x: t }, attrs: { shape } as unknown as NamedAttrMap, backend: args.backend }) as TensorInfo;
    let current = x;
    const shape = x.shape.slice();
    const axes = paddings.flatMap(([before, after], axis) => (before || after ? [axis] : []));
    // With nothing to pad, one pass over the last axis still makes the copy a kernel must return.
    for (const axis of axes.length ? axes : [shape.length - 1]) {
      const [before, after] = paddings[axis]!;
      const flat = view(current, [util.sizeFromShape(shape.slice(0, axis)), shape[axis]!, util.sizeFromShape(shape.slice(axis + 1))]);
      const padded = stock({
        inputs: { x: flat }, backend: args.backend,
        attrs: { paddings: [[0, 0], [before, after], [0, 0]], constantValue } as unknown as NamedAttrMap,
      }) as TensorInfo;
      shape[axis] = before + shape[axis]! + after;
      const next = view(padded, shape.slice());
      backend.disposeIntermediateTensorInfo(flat);
      backend.disposeIntermediateTensorInfo(padded);
      if (current !== x) backend.disposeIntermediateTensorInfo(current);
      current = next;
    }
    return current;
  };
  return { kernelName: PadV2, backendName: 'webgl', kernelFunc };
}
