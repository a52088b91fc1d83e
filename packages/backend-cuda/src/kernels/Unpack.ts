import * as tf from '@tensorflow/tfjs-core';
import { runOnCpu } from './cpu-fallback.js';
import { nativeKernel } from './kernel.js';
import { sliceOp } from './Slice.js';

/** tf.unstack: one slice per index of `axis`, that axis removed (the slice is dense, so the shape changes freely). */
export const unpackConfig = nativeKernel(tf.Unpack, ({ inputs, attrs, backend }) => {
  const value = inputs.value!;
  const { axis } = attrs as unknown as tf.UnpackAttrs;
  if (value.dtype !== 'float32' && value.dtype !== 'int32' && value.dtype !== 'bool') return runOnCpu(tf.Unpack, inputs, attrs, backend, `${value.dtype} input`);
  const at = axis < 0 ? axis + value.shape.length : axis;
  const size = value.shape.slice();
  size[at] = 1;
  const outShape = value.shape.filter((_, k) => k !== at);
  return Array.from({ length: value.shape[at]! }, (_, i) => {
    const begin = new Array<number>(value.shape.length).fill(0);
    begin[at] = i;
    const part = sliceOp(backend, value, begin, size);
    return { ...part, shape: outShape };
  });
});
