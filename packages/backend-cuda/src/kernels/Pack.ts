import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { concatOp } from './Concat.js';
import { runOnCpu } from './cpu-fallback.js';
import { disposeTemps, nativeKernel } from './kernel.js';
import { reshaped } from './util.js';

/** tf.stack: a new axis on each input, then concat along it. */
export const packConfig = nativeKernel(tf.Pack, ({ inputs, attrs, backend }) => {
  const tensors = Object.values(inputs) as TensorInfo[];
  const { axis } = attrs as unknown as tf.PackAttrs;
  const dtype = tensors[0]!.dtype;
  if (!tensors.every((t) => t.dtype === dtype && (dtype === 'float32' || dtype === 'int32' || dtype === 'bool'))) {
    return runOnCpu(tf.Pack, inputs, attrs, backend, `${dtype} inputs`);
  }
  const rank = tensors[0]!.shape.length;
  const at = axis < 0 ? axis + rank + 1 : axis;
  const expanded = tensors.map((t) => reshaped(backend, t, [...t.shape.slice(0, at), 1, ...t.shape.slice(at)]));
  try {
    return concatOp(backend, expanded, at);
  } finally {
    disposeTemps(backend, ...expanded);
  }
});
