import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { LayerInputError } from '../errors.js';
import { testBackends, useTestBackend } from '../test-backends.js';
import { AvgPool2d } from './avg-pool2d.js';
import { BatchNorm2d } from './batch-norm2d.js';
import { Concat } from './concat.js';
import { Conv2d } from './conv2d.js';
import { ConvTranspose2d } from './conv-transpose2d.js';
import { Dropout } from './dropout.js';
import { Flatten } from './flatten.js';
import { Identity } from './identity.js';
import { LocalResponseNorm } from './local-response-norm.js';
import { MaxPool2d } from './max-pool2d.js';

/**
 * What layers/parity.test.ts cannot show with one fixture per case: output sizes over many input sizes,
 * random training-mode behaviour, and the arguments and inputs a layer refuses.
 */

/** [input side, kernel, stride, padding, ceil mode, PyTorch's output side] from torch.nn.functional.max_pool2d/avg_pool2d. */
const POOL_SIZES: [number, number, number, number, boolean, number][] = [
  [112, 3, 2, 0, true, 56], [112, 3, 2, 0, false, 55], [56, 3, 2, 0, true, 28], [28, 3, 2, 0, true, 14], // GoogLeNet
  [14, 3, 2, 0, true, 7], [14, 3, 2, 0, false, 6],
  [55, 3, 2, 0, false, 27], [27, 3, 2, 0, false, 13], [13, 3, 2, 0, false, 6], // AlexNet
  // Ceil mode drops a last window that would start in the right padding.
  [5, 2, 2, 1, true, 3], [7, 2, 2, 1, true, 4], [6, 2, 2, 1, true, 4], [2, 2, 2, 1, true, 2],
  [8, 3, 2, 1, true, 5], [10, 3, 3, 1, true, 4], [4, 3, 3, 1, true, 2], [1, 3, 2, 1, true, 1],
];

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('nothing was thrown');
}

const backends = await testBackends();

describe.each(backends)('%s backend', (backend) => {
  beforeAll(() => useTestBackend(backend));

  it.each(POOL_SIZES)('pools %i with kernel %i, stride %i, padding %i, ceil %s to PyTorch’s %i', (n, k, s, p, ceilMode, out) => {
    const x = tf.zeros([1, n, n, 1]);
    for (const pool of [new MaxPool2d(k, { stride: s, padding: p, ceilMode }), new AvgPool2d(k, { stride: s, padding: p, ceilMode })]) {
      const y = pool.call(x);
      expect(y.shape).toEqual([1, out, out, 1]);
      y.dispose();
    }
    x.dispose();
  });

  it('Concat joins channels and names what does not fit', () => {
    const [a, b] = [tf.ones([1, 2, 3, 1]), tf.zeros([1, 2, 3, 2])];
    const y = new Concat().call([a, b]);
    expect(y.shape).toEqual([1, 2, 3, 3]);
    const c = tf.zeros([1, 3, 3, 2]);
    expect(thrown(() => new Concat().call([a, c])).message).toBe(
      "layer '(root)' (Concat): inputs differ outside the channel axis: [1, 2, 3, 1], [1, 3, 3, 2]",
    );
    tf.dispose([a, b, c, y]);
  });

  it('Dropout zeroes about p of the values in training and scales the rest by 1/(1-p); eval passes values through', async () => {
    const x = tf.ones([10000]);
    const dropout = new Dropout(0.3);
    const y = dropout.call(x);
    const values = await y.data();
    const zeros = values.filter((v) => v === 0).length;
    expect(Math.abs(zeros / values.length - 0.3)).toBeLessThan(0.03);
    expect(values.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6)).toBe(true);
    const z = dropout.eval().call(x);
    expect(z).not.toBe(x);
    expect(Array.from(await z.data()).every((v) => v === 1)).toBe(true);
    tf.dispose([x, y, z]);
  });

  it('Identity and Dropout in eval return a new tensor the caller may dispose apart from the input', async () => {
    const x = tf.tensor([1, 2, 3]);
    const ys = [new Identity().call(x), new Dropout().eval().call(x)];
    ys.forEach((y) => y.dispose());
    expect(Array.from(await x.data())).toEqual([1, 2, 3]);
    x.dispose();
  });

  it('Flatten orders an NHWC map channel-major, as PyTorch flattens NCHW, and leaves [N, F] alone', async () => {
    // [1, H=1, W=2, C=3]: NHWC values c + 3w; PyTorch's order is (c, w).
    const x = tf.tensor4d([0, 1, 2, 3, 4, 5], [1, 1, 2, 3]);
    const y = new Flatten().call(x);
    expect(Array.from(await y.data())).toEqual([0, 3, 1, 4, 2, 5]);
    const flat = tf.tensor2d([[1, 2]]);
    const same = new Flatten().call(flat);
    expect(same.shape).toEqual([1, 2]);
    tf.dispose([x, y, flat, same]);
  });

  it('BatchNorm2d refuses to train on one value per channel, as PyTorch does', () => {
    const x = tf.zeros([1, 1, 1, 3]);
    expect(thrown(() => new BatchNorm2d(3).call(x)).message).toBe(
      "layer '(root)' (BatchNorm2d): training needs more than one value per channel, got input shape [1, 1, 1, 3]",
    );
    const y = new BatchNorm2d(3).eval().call(x);
    y.dispose();
    x.dispose();
  });

  it('pools refuse inputs smaller than their window', () => {
    const x = tf.zeros([1, 2, 2, 1]);
    const error = thrown(() => new MaxPool2d(3).call(x));
    expect(error).toBeInstanceOf(LayerInputError);
    expect(error.message).toBe("layer '(root)' (MaxPool2d): input 2x2 is smaller than the 3x3 window");
    x.dispose();
  });
});

describe('constructor arguments PyTorch refuses', () => {
  it.each([
    ['Conv2d padding same with stride 2', () => new Conv2d(3, 4, 3, { stride: 2, padding: 'same' }), "Conv2d padding='same' needs stride 1"],
    ['Conv2d groups not dividing channels', () => new Conv2d(3, 4, 3, { groups: 2 }), 'Conv2d groups=2 must divide inChannels=3 and outChannels=4'],
    ['Conv2d negative padding', () => new Conv2d(3, 4, 3, { padding: -1 }), 'Conv2d padding must be a non-negative integer'],
    ['Conv2d zero kernel', () => new Conv2d(3, 4, 0), 'Conv2d kernelSize must be positive'],
    ['ConvTranspose2d output padding >= stride', () => new ConvTranspose2d(2, 2, 3, { stride: 2, outputPadding: 2 }), 'outputPadding 2,2 must be smaller than stride or dilation'],
    ['MaxPool2d padding above half the kernel', () => new MaxPool2d(2, { padding: 2 }), 'must be at most half the kernel'],
    ['Dropout p = 1', () => new Dropout(1), 'Dropout probability must be in [0, 1)'],
    ['LocalResponseNorm size 0', () => new LocalResponseNorm(0), 'LocalResponseNorm size must be a positive integer'],
  ])('%s', (_, make, message) => {
    expect(make).toThrow(message);
  });
});
