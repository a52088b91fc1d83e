import { GatherV2, backend_util, util } from '@tensorflow/tfjs-core';
import type { GatherV2Attrs, TensorInfo } from '@tensorflow/tfjs-core';
import { isFloat, nativeKernel } from './kernel.js';

/**
 * Gathers whole slices (RoI Align's windows of feature cells, an embedding's rows) by copying each one
 * contiguous run of row-major values at a time. tfjs-backend-cpu's kernel computes a multi-dimensional
 * location per element, which took 14 s of a 20 s Faster R-CNN forward at 800x800; a copy per slice takes
 * milliseconds. Not a oneDNN primitive: oneDNN 2.6 has no gather.
 */
export const gatherV2Config = nativeKernel(GatherV2, ({ inputs, backend, attrs }) => {
  const { x, indices } = inputs as { x: TensorInfo; indices: TensorInfo };
  if (!isFloat(x) || indices.dtype !== 'int32') return null;
  const { axis, batchDims = 0 } = attrs as unknown as GatherV2Attrs;
  const parsedAxis = util.parseAxisParam(axis, x.shape)[0]!;
  const info = backend_util.segment_util.collectGatherOpShapeInfo(x as never, indices as never, parsedAxis, batchDims);
  if (info.outputShape.length === 0) return null;
  const index = backend.plainValues(indices.dataId) as Int32Array;
  const dim = x.shape[parsedAxis]!;
  for (let i = 0; i < index.length; i++) {
    if (!(index[i]! >= 0 && index[i]! < dim)) throw new Error(`GatherV2: the index value ${index[i]} is not in [0, ${dim - 1}]`);
  }
  const values = backend.floats(x);
  const layout = backend.plainLayout(info.outputShape);
  const out = backend.bufferFor(layout);
  const { batchSize, outerSize, dimSize, sliceSize } = info;
  const perBatch = index.length / batchSize;
  let at = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let o = 0; o < outerSize; o++) {
      const base = (b * outerSize + o) * dimSize;
      for (let j = 0; j < perBatch; j++) {
        const from = (base + index[b * perBatch + j]!) * sliceSize;
        out.set(values.subarray(from, from + sliceSize), at);
        at += sliceSize;
      }
    }
  }
  return backend.output(info.outputShape.slice(), layout, out);
});
