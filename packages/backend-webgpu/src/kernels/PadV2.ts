import {
  type KernelConfig, type KernelFunc, type NamedAttrMap, PadV2, type PadV2Attrs, Reshape, type TensorInfo, getKernel, util,
} from '@tensorflow/tfjs-core';

interface Backend {
  disposeData(dataId: object): void;
}

/**
 * tfjs-backend-webgpu 4.22's PadProgram only compiles for rank <= 4: at rank 5 and 6 its WGSL compares
 * the vec5/vec6 structs tfjs defines with `<` and indexes them (`cannot index type 'vec6'`), and reads
 * the input at four coordinates whatever the rank. `tf.pad` of a rank-6 tensor (convkit's dilated
 * kernels spread taps that way) then gives an invalid pipeline and silently wrong values. This wraps the
 * stock kernel: rank <= 4 goes to it unchanged; higher ranks are padded one axis at a time, viewed as
 * [before, axis, after] (rank 3); reshapes on webgpu share the buffer. The same repair as
 * @convkit/backend-webgl's kernels/PadV2.ts, over this backend's kernels.
 */
export function padV2Config(stock: KernelFunc): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.shape.length <= 4) return stock(args);
    const { paddings, constantValue } = args.attrs as unknown as PadV2Attrs;
    const backend = args.backend as unknown as Backend;
    const reshape = getKernel(Reshape, 'webgpu')!.kernelFunc;
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
      backend.disposeData(flat.dataId);
      backend.disposeData(padded.dataId);
      if (current !== x) backend.disposeData(current.dataId);
      current = next;
    }
    return current;
  };
  return { kernelName: PadV2, backendName: 'webgpu', kernelFunc };
}
