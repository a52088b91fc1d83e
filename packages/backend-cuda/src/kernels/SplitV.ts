import * as tf from '@tensorflow/tfjs-core';
import { runOnCpu } from './cpu-fallback.js';
import { nativeKernel } from './kernel.js';
import { sliceOp } from './Slice.js';

/** tf.split: one slice per part along `axis` (grouped convolutions split their input and filter this way). */
export const splitVConfig = nativeKernel(tf.SplitV, ({ inputs, attrs, backend }) => {
  const x = inputs.x!;
  const { numOrSizeSplits, axis } = attrs as unknown as tf.SplitVAttrs;
  if (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool') return runOnCpu(tf.SplitV, inputs, attrs, backend, `${x.dtype} input`);
  const at = tf.util.parseAxisParam(axis, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x, numOrSizeSplits, at);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = x.shape.slice();
    size[at] = s;
    const part = sliceOp(backend, x, begin.slice(), size);
    begin[at]! += s;
    return part;
  });
});
