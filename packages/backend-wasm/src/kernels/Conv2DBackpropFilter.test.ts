import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients by itself; the last case needs them.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { useBackend } from '@convkit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import '../index.js';

/** dW[kh, kw, ci, co] = sum over n, oh, ow of x[n, oh*s + kh - top, ow*s + kw - left, ci] * dy[n, oh, ow, co], in plain loops. */
function reference(x: tf.Tensor4D, dy: tf.Tensor4D, [kh, kw]: number[], stride: number, top: number, left: number): Float32Array {
  const [n, h, w, ci] = x.shape;
  const [, oh, ow, co] = dy.shape;
  const xv = x.dataSync();
  const dv = dy.dataSync();
  const out = new Float32Array(kh! * kw! * ci * co);
  for (let a = 0; a < kh!; a++) for (let b = 0; b < kw!; b++) for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) {
    let sum = 0;
    for (let i = 0; i < n; i++) for (let p = 0; p < oh; p++) for (let q = 0; q < ow; q++) {
      const y = p * stride + a - top;
      const z = q * stride + b - left;
      if (y >= 0 && y < h && z >= 0 && z < w) sum += xv[((i * h + y) * w + z) * ci + c]! * dv[((i * oh + p) * ow + q) * co + o]!;
    }
    out[((a * kw! + b) * ci + c) * co + o] = sum;
  }
  return out;
}

describe('wasm Conv2DBackpropFilter', () => {
  beforeAll(() => useBackend('wasm'));

  // [x shape, filter shape, stride, symmetric padding]: 'same' and 'valid' sweeps, strides that leave
  // input rows unread, a 7x7/2 stem, 1x1 projections and a 1x1 input.
  type Shape4 = [number, number, number, number];
  const cases: [Shape4, Shape4, number, number][] = [
    [[2, 8, 8, 3], [3, 3, 3, 4], 1, 1],
    [[2, 9, 7, 3], [3, 3, 3, 5], 2, 1],
    [[1, 15, 15, 2], [7, 7, 2, 4], 2, 3],
    [[3, 6, 6, 4], [1, 1, 4, 8], 2, 0],
    [[2, 10, 10, 1], [5, 5, 1, 3], 3, 0],
    [[1, 1, 1, 4], [3, 3, 4, 2], 2, 1],
  ];

  it.each(cases)('x %j, filter %j, stride %i, padding %i matches the definition', (xShape, filterShape, stride, padding) => {
    const x = tf.randomNormal(xShape) as tf.Tensor4D;
    const outSize = (size: number, k: number) => Math.floor((size + 2 * padding - k) / stride) + 1;
    const dy = tf.randomNormal([xShape[0]!, outSize(xShape[1]!, filterShape[0]!), outSize(xShape[2]!, filterShape[1]!), filterShape[3]!]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const pad = [[0, 0], [padding, padding], [padding, padding], [0, 0]];
    const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: [stride, stride], pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape } as never) as tf.Tensor;
    expect(dw.shape).toEqual(filterShape);
    const expected = reference(x, dy, filterShape, stride, padding, padding);
    const got = dw.dataSync();
    const scale = Math.max(...expected.map(Math.abs));
    expect(Math.max(...got.map((v, i) => Math.abs(v - expected[i]!))) / scale).toBeLessThan(1e-5);
    dw.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, dy]);
  });

  it("lets tf.grad differentiate a convolution's filter", () => {
    const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
    const grad = tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(x, w as tf.Tensor4D, 1, 'valid')))(tf.ones([3, 3, 1, 1]) as tf.Tensor4D);
    // Each tap of a 3x3 valid sweep over a 4x4 map touches 4 inputs of value 1.
    expect(Array.from(grad.dataSync())).toEqual(new Array(9).fill(4));
  });
});
