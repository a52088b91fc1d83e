import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Conv2d } from '@convkit/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { referenceAddon } from '../test/reference-addon.js';
import { CudaBackend } from './backend.js';
import { CudaKernelError } from './kernels/kernel.js';
import { registerCudaKernels } from './kernels/register.js';

/**
 * The backend class and every native kernel's TypeScript half (shapes, KRSC filter layouts, uneven
 * padding, strides, reductions, fallbacks, reference counts, error cleanup) against tfjs-backend-cpu,
 * with the addon replaced by a host model of its contract (test/reference-addon.ts): no GPU needed.
 * The same comparisons on the real device are tools/device/cuda-check.sh's.
 */
const addon = referenceAddon();
registerCudaKernels();
tf.registerBackend('cuda', () => new CudaBackend(addon), 0);

const TOLERANCE = 2e-5;

async function values(t: tf.Tensor | tf.Tensor[]): Promise<number[][]> {
  const list = Array.isArray(t) ? t : [t];
  const out = await Promise.all(list.map(async (x) => Array.from(await x.data()).map(Number)));
  tf.dispose(list);
  return out;
}

/** Runs `fn` on cpu and on cuda and compares every output: shape, dtype and values to TOLERANCE of the largest. */
async function same(what: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  await tf.setBackend('cpu');
  const expectedTensors = tf.tidy(fn);
  const expectedList = Array.isArray(expectedTensors) ? expectedTensors : [expectedTensors];
  const meta = expectedList.map((t) => ({ shape: t.shape, dtype: t.dtype }));
  const expected = await values(expectedList);
  await tf.setBackend('cuda');
  const before = tf.memory().numTensors;
  const actualTensors = tf.tidy(fn);
  const actualList = Array.isArray(actualTensors) ? actualTensors : [actualTensors];
  expect(actualList.map((t) => ({ shape: t.shape, dtype: t.dtype })), what).toEqual(meta);
  const actual = await values(actualList);
  expect(tf.memory().numTensors, `${what}: tensors left`).toBe(before);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    const scale = Math.max(1e-30, ...e.map(Math.abs));
    const worst = Math.max(0, ...a.map((v, j) => (Number.isNaN(v) && Number.isNaN(e[j]!) ? 0 : Math.abs(v - e[j]!))));
    expect(worst / scale, `${what} output ${i}: max error ${worst} of ${scale}`).toBeLessThanOrEqual(TOLERANCE);
  });
}

const rand = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

beforeAll(async () => {
  await tf.setBackend('cuda');
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('CudaBackend over the reference addon', () => {
  it('stores, reads and frees tensors of each device dtype', async () => {
    await tf.setBackend('cuda');
    const live = addon.liveBuffers();
    const f = tf.tensor([1.5, -2], [2], 'float32');
    const i = tf.tensor([3, -4], [2], 'int32');
    const b = tf.tensor([true, false, true], [3], 'bool');
    const s = tf.tensor(['a', 'bc'], [2], 'string');
    expect(Array.from(await f.data())).toEqual([1.5, -2]);
    expect(await i.data()).toEqual(Int32Array.of(3, -4));
    expect(await b.data()).toEqual(Uint8Array.of(1, 0, 1));
    expect(await s.data()).toEqual(['a', 'bc']);
    expect(addon.liveBuffers()).toBe(live + 3);
    const r = tf.reshape(f, [1, 2]);
    f.dispose();
    expect(addon.liveBuffers()).toBe(live + 3);
    r.dispose();
    tf.dispose([i, b, s]);
    expect(addon.liveBuffers()).toBe(live);
    expect((tf.memory() as tf.MemoryInfo & { numBytesInGPU: number }).numBytesInGPU).toBe(0);
  });

  it('convolves like cpu: strides, uneven same padding, explicit padding, dilation, and both gradients', async () => {
    const cases: [string, number | [number, number], 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]], [number, number]][] = [
      ['3x3 s1 same', 1, 'same', [1, 1]],
      ['3x3 s2 same (uneven)', 2, 'same', [1, 1]],
      ['3x3 s2 valid', 2, 'valid', [1, 1]],
      ['explicit uneven', [1, 2], [[0, 0], [2, 1], [0, 1], [0, 0]], [1, 1]],
      ['dilated', 1, 'same', [2, 2]],
    ];
    for (const [name, strides, pad, dilations] of cases) {
      const conv = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.conv2d(x, w, strides, pad, 'NHWC', dilations);
      await same(`conv ${name}`, () => conv(rand([2, 9, 8, 3], 1) as tf.Tensor4D, rand([3, 3, 3, 5], 2) as tf.Tensor4D));
      if (dilations[0] === 1) {
        await same(`conv grads ${name}`, () => tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(conv(x as tf.Tensor4D, w as tf.Tensor4D), 0.5)))([rand([2, 9, 8, 3], 1), rand([3, 3, 3, 5], 2)]));
      }
    }
  });

  it('runs depthwise, transposed and fused convolutions like cpu', async () => {
    await same('depthwise', () => tf.depthwiseConv2d(rand([1, 7, 7, 4], 3) as tf.Tensor4D, rand([3, 3, 4, 2], 4) as tf.Tensor4D, 2, 'same'));
    await same('depthwise grads', () => tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid')))([rand([1, 6, 6, 3], 5), rand([3, 3, 3, 2], 6)]));
    await same('conv2dTranspose', () => tf.conv2dTranspose(rand([2, 4, 4, 3], 7) as tf.Tensor4D, rand([3, 3, 5, 3], 8) as tf.Tensor4D, [2, 9, 9, 5], 2, 'valid'));
    await same('conv2dTranspose, uneven same padding', () => tf.conv2dTranspose(rand([1, 3, 3, 2], 16) as tf.Tensor4D, rand([3, 3, 4, 2], 17) as tf.Tensor4D, [1, 6, 6, 4], 2, 'same'));
    await same('fused conv + bias + relu', () => tf.fused.conv2d({ x: rand([1, 6, 6, 3], 9) as tf.Tensor4D, filter: rand([3, 3, 3, 4], 10) as tf.Tensor4D, strides: 1, pad: 'same', bias: rand([4], 11), activation: 'relu' }));
    await same('fused matmul + bias + relu6', () => tf.fused.matMul({ a: rand([3, 5], 12) as tf.Tensor2D, b: rand([4, 5], 13) as tf.Tensor2D, transposeB: true, bias: rand([4], 14), activation: 'relu6' }));
    // Built once: its weights move to whichever backend runs it.
    const layer = new Conv2d(4, 6, 3, { groups: 2, padding: 1 });
    await same('grouped Conv2d layer', () => layer.call(rand([1, 5, 5, 4], 15)));
    layer.dispose();
  });

  it('pools, normalises and multiplies like cpu, gradients included', async () => {
    await same('maxPool same', () => tf.maxPool(rand([2, 7, 6, 3], 20) as tf.Tensor4D, 3, 2, 'same'));
    await same('avgPool same', () => tf.avgPool(rand([2, 7, 6, 3], 21) as tf.Tensor4D, 3, 2, 'same'));
    await same('maxPool grad, all-negative windows', () => tf.grad((x: tf.Tensor) => tf.sum(tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid')))(tf.neg(tf.abs(rand([1, 4, 4, 2], 22)))));
    await same('avgPool grad', () => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(x as tf.Tensor4D, 3, 1, 'valid'), rand([1, 3, 3, 2], 24))))(rand([1, 5, 5, 2], 23)));
    await same('batchNorm', () => tf.batchNorm(rand([2, 3, 3, 4], 25), rand([4], 26), tf.abs(rand([4], 27)), rand([4], 28), rand([4], 29), 1e-3));
    await same('batched matmul, broadcast and transposed', () => tf.matMul(rand([3, 4, 5], 30), rand([1, 6, 5], 31), false, true));
    await same('matmul grads', () => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true)))([rand([5, 3], 32), rand([5, 4], 33)]));
    await same('LRN', () => tf.localResponseNormalization(rand([1, 3, 3, 7], 34) as tf.Tensor4D, 2, 1, 1e-2, 0.75));
    await same('resizeBilinear', () => tf.image.resizeBilinear(rand([1, 4, 5, 2], 35) as tf.Tensor4D, [7, 3], false, true));
  });

  it('computes elementwise ops with broadcasting, in float and int, like cpu', async () => {
    await same('binary float', () => {
      const a = rand([2, 1, 4], 40);
      const b = rand([3, 1], 41);
      return [tf.add(a, b), tf.sub(a, b), tf.mul(a, b), tf.div(a, b), tf.maximum(a, b), tf.minimum(a, b), tf.squaredDifference(a, b), tf.pow(tf.abs(a), b),
        tf.greater(a, b), tf.equal(a, a), tf.prelu(a, tf.abs(b))];
    });
    await same('binary int', () => {
      const a = tf.tensor([7, -7, 3, 0, -5, 9], [2, 3], 'int32');
      const b = tf.tensor([2, -3, 4], [3], 'int32');
      return [tf.add(a, b), tf.mul(a, b), tf.floorDiv(a, b), tf.mod(a, b), tf.maximum(a, b), tf.less(a, b), tf.div(a, b)];
    });
    await same('unary', () => {
      const x = rand([3, 4], 42);
      return [tf.relu(x), tf.relu6(tf.mul(x, 4)), tf.leakyRelu(x, 0.1), tf.elu(x), tf.selu(x), tf.exp(x), tf.log(tf.add(tf.abs(x), 1)), tf.sqrt(tf.abs(x)),
        tf.rsqrt(tf.add(tf.abs(x), 1)), tf.square(x), tf.neg(x), tf.sigmoid(x), tf.tanh(x), tf.floor(x), tf.round(tf.mul(x, 2)), tf.sign(x),
        tf.reciprocal(tf.add(tf.abs(x), 1)), tf.softplus(x), tf.clipByValue(x, -0.5, 0.5), tf.isNaN(tf.div(x, 0)), tf.step(x), tf.logicalNot(tf.greater(x, 0))];
    });
    await same('where, cast, range, fill, oneHot', () => {
      const x = rand([3, 4], 43);
      return [tf.where(tf.greater(x, 0), x, tf.neg(x)), tf.cast(tf.mul(x, 3), 'int32'), tf.cast(tf.greater(x, 0), 'float32'), tf.cast(tf.tensor([0, 2, -1], [3], 'int32'), 'bool'),
        tf.range(2, 11, 3), tf.range(0, 5, 1, 'int32'), tf.fill([2, 2], 7), tf.zerosLike(x), tf.onesLike(x), tf.oneHot(tf.tensor1d([0, 2, 1], 'int32'), 4), tf.oneHot(tf.tensor1d([3, 0], 'int32'), 4, 5, -1, 'float32')];
    });
  });

  it('reduces over any axes like cpu', async () => {
    await same('reductions', () => {
      const x = rand([2, 3, 4, 5], 50);
      return [tf.sum(x), tf.sum(x, [1, 2]), tf.sum(x, [0, 2], true), tf.mean(x, [0, 1, 2]), tf.max(x, 3), tf.min(x, [0, 3]), tf.prod(tf.add(tf.mul(x, 0.1), 1), 1),
        tf.argMax(x, 1), tf.argMin(x, 3), tf.any(tf.greater(x, 2), 2), tf.all(tf.greater(x, -3), [0, 1]), tf.sum(tf.tensor([1, 2, 3, 4], [2, 2], 'int32'), 0),
        tf.mean(tf.tensor([1, 2, 4, 4], [4], 'int32')), tf.softmax(x), tf.logSoftmax(x)];
    });
    await same('moments (BatchNorm training)', () => {
      const { mean, variance } = tf.moments(rand([2, 3, 3, 4], 51), [0, 1, 2]);
      return [mean, variance];
    });
  });

  it('moves data like cpu: concat, stack, split, unstack, slice, pad, transpose, tile, gather', async () => {
    await same('data movement', () => {
      const x = rand([2, 3, 4], 60);
      const y = rand([2, 2, 4], 61);
      return [tf.concat([x, y], 1), tf.concat([x, x], 2), tf.stack([x, x], 1), ...tf.split(x, [1, 3], 2), ...tf.unstack(x, 1), tf.slice(x, [0, 1, 1], [2, 2, -1]),
        tf.pad(x, [[1, 0], [0, 2], [1, 1]], 3), tf.transpose(x, [2, 0, 1]), tf.tile(x, [2, 1, 3]), tf.broadcastTo(tf.reshape(x, [2, 3, 1, 4]), [2, 3, 2, 4]),
        tf.gather(x, tf.tensor1d([2, 0, 0], 'int32'), 1), tf.expandDims(x, 1), tf.reverse(x, 1), tf.concat([tf.cast(x, 'int32'), tf.cast(y, 'int32')], 1)];
    });
  });

  it('runs a kernel it has no native version of on the cpu, warning once with its name', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await same('cumsum (fallback)', () => tf.cumsum(rand([3, 4], 70), 1));
    await same('cumsum again', () => tf.cumsum(rand([3, 4], 71), 0));
    const lines = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes("'Cumsum'"));
    expect(lines).toEqual([expect.stringMatching(/kernel 'Cumsum' runs on the CPU backend \(no native kernel\)/)]);
    warn.mockRestore();
  });

  it('turns a device allocation failure into an error naming the kernel, frees what it allocated, and stays usable', async () => {
    await tf.setBackend('cuda');
    const x = rand([1, 6, 6, 3], 80) as tf.Tensor4D;
    const w = rand([3, 3, 3, 2], 81) as tf.Tensor4D;
    const live = addon.liveBuffers();
    const tensors = tf.memory().numTensors;
    // Uneven padding: the padded copy of x is allocated first, then the failing output.
    addon.failNextAlloc = false;
    let calls = 0;
    const realAlloc = addon.alloc.bind(addon);
    addon.alloc = (bytes: number) => {
      if (++calls === 2) throw Object.assign(new Error(`out of device memory allocating ${bytes} bytes`), { code: 'CUDA_OOM' });
      return realAlloc(bytes);
    };
    let error: unknown;
    try {
      tf.conv2d(x, w, 2, 'same');
    } catch (e) {
      error = e;
    } finally {
      addon.alloc = realAlloc;
    }
    expect(error).toBeInstanceOf(CudaKernelError);
    expect(error).toMatchObject({ kernelName: 'Conv2D', code: 'CUDA_OOM', message: expect.stringMatching(/^cuda kernel 'Conv2D': out of device memory allocating \d+ bytes/) });
    expect(addon.liveBuffers()).toBe(live);
    expect(tf.memory().numTensors).toBe(tensors);
    const y = tf.conv2d(x, w, 2, 'same');
    expect(y.shape).toEqual([1, 3, 3, 2]);
    tf.dispose([x, w, y]);
  });
});
