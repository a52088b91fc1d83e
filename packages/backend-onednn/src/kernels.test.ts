import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@convkit/core';
import '@convkit/backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { OnednnBackend, OnednnKernelError, fallbacksSeen, loadAddon, onednnAvailability } from './index.js';

/**
 * Each native kernel against tfjs-backend-cpu's on the same inputs, including chains that keep
 * tensors in oneDNN's blocked layouts from one kernel to the next and read them back at the end.
 */
const availability = await onednnAvailability();

type Case = { name: string; inputs: () => tf.Tensor[]; run: (...xs: tf.Tensor[]) => tf.Tensor };
const r = (shape: number[], seed: number) => () => tf.randomNormal(shape, 0, 1, 'float32', seed);
const image = r([2, 11, 9, 16], 1);
const CASES: Case[] = [
  { name: 'conv2d same stride 2', inputs: () => [image(), r([3, 3, 16, 24], 2)()], run: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same') },
  { name: 'conv2d explicit pads, dilation 2', inputs: () => [image(), r([3, 3, 16, 8], 3)()], run: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, [[0, 0], [2, 1], [0, 2], [0, 0]], 'NHWC', 2) },
  { name: 'fused conv + bias + relu, 3 input channels', inputs: () => [r([1, 17, 17, 3], 4)(), r([7, 7, 3, 32], 5)(), r([32], 6)()], run: (x, w, b) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, bias: b, strides: 2, pad: [[0, 0], [3, 3], [3, 3], [0, 0]], activation: 'relu' }) },
  { name: 'fused conv + relu6, then maxpool, avgpool and mean of the blocked result', inputs: () => [image(), r([1, 1, 16, 32], 7)(), r([32], 8)()], run: (x, w, b) => tf.mean(tf.avgPool(tf.maxPool(tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, bias: b, strides: 1, pad: 'valid', activation: 'relu6' }), 3, 2, 'same'), 2, 1, 'valid'), [1, 2]) },
  { name: 'batch norm, relu, add and concat in blocked layouts', inputs: () => [image(), r([16], 9)(), r([16], 10)(), r([16], 11)(), r([16], 12)()], run: (x, m, v, o, s) => { const y = tf.relu(tf.batchNorm(x, m, tf.abs(v), o, s, 1e-3)); return tf.concat([tf.add(y, x), tf.mul(y, 2), tf.sub(x, y)], 3); } },
  { name: 'bias broadcast add and scalar multiply', inputs: () => [image(), r([16], 13)()], run: (x, b) => tf.mul(tf.add(x, b), tf.scalar(0.5)) },
  { name: 'pad with -inf before max pooling', inputs: () => [image()], run: (x) => tf.maxPool(tf.pad(tf.relu(x) as tf.Tensor4D, [[0, 0], [1, 1], [1, 1], [0, 0]], -Infinity), 3, 2, 'valid') },
  { name: 'transposed convolution (conv2d backprop input)', inputs: () => [r([2, 6, 6, 16], 14)(), r([4, 4, 8, 16], 15)()], run: (dy, w) => tf.conv2dTranspose(dy as tf.Tensor4D, w as tf.Tensor4D, [2, 12, 12, 8], 2, 'same') },
  { name: 'fused matmul + bias + relu, and batched matmul with transposes', inputs: () => [r([5, 12], 16)(), r([12, 7], 17)(), r([7], 18)(), r([3, 4, 6], 19)(), r([3, 5, 4], 20)()], run: (a, b, bias, p, q) => tf.add(tf.sum(tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias, activation: 'relu' })), tf.sum(tf.matMul(p, q, true, true))) },
  { name: 'leaky relu, elu and sigmoid', inputs: () => [image()], run: (x) => tf.add(tf.add(tf.leakyRelu(x, 0.1), tf.elu(x)), tf.sigmoid(x)) },
  { name: 'reductions of a blocked image: sum over N, H, W; mean over H, W; max; min over C', inputs: () => [image(), r([3, 3, 16, 32], 23)()], run: (x, w) => { const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'); return tf.concat([tf.sum(y, [0, 1, 2]), tf.reshape(tf.mean(y, [1, 2]), [-1]), tf.max(y, [0, 1, 2]), tf.reshape(tf.min(y, 3), [-1]), tf.reshape(tf.sum(y), [1])]); } },
  { name: 'slices of a blocked image: whole channels, and a channel range', inputs: () => [image(), r([1, 1, 16, 32], 24)()], run: (x, w) => { const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'); return tf.concat([tf.reshape(tf.slice(y, [1, 2, 1, 0], [1, 5, 4, 32]), [-1]), tf.reshape(tf.slice(y, [0, 0, 0, 3], [2, 11, 9, 7]), [-1])]); } },
  { name: 'tile over leading axes, step, square, scalar and swapped operands', inputs: () => [image(), r([1, 1, 1, 16], 25)()], run: (x, v) => tf.add(tf.add(tf.mul(tf.tile(v, [2, 11, 9, 1]), tf.step(x)), tf.square(x)), tf.add(tf.sub(tf.scalar(2), x), tf.sub(tf.mul(x, 3), tf.scalar(0.5)))) },
  { name: 'empty tensors go to tfjs-backend-cpu', inputs: () => [tf.zeros([0, 4, 4, 16]), r([3, 3, 16, 8], 31)()], run: (x, w) => tf.add(tf.reshape(tf.sum(tf.relu(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'))), [1]), tf.ones([1])) },
  { name: 'gather of rows (repeated indices) from a blocked image, along an inner axis, and with batch dims', inputs: () => [image(), r([3, 3, 16, 16], 32)(), r([2, 5, 4], 33)()], run: (x, w, t) => { const cells = tf.reshape(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), [-1, 16]); return tf.concat([tf.reshape(tf.gather(cells, tf.tensor1d([5, 0, 197, 5, 3], 'int32')), [-1]), tf.reshape(tf.gather(t, tf.tensor1d([3, 1, 1], 'int32'), 2), [-1]), tf.reshape(tf.gather(t, tf.tensor2d([[4, 0], [2, 2]], [2, 2], 'int32'), 1, 1), [-1])]); } },
  { name: 'per-channel operands against blocked images, on either side', inputs: () => [image(), r([1, 1, 16, 16], 26)(), r([16], 27)()], run: (x, w, c) => { const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'); return tf.add(tf.mul(c, y), tf.sub(tf.reshape(c, [1, 1, 1, 16]), y)); } },
];

const GRAD_CASES: Case[] = [
  { name: 'batch norm in training mode (statistics, tiles, masks) after a blocked conv', inputs: () => [image(), r([3, 3, 16, 16], 28)(), r([16], 29)(), r([16], 30)()], run: (x, w, scale, offset) => { const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'); const { mean, variance } = tf.moments(y, [0, 1, 2]); return tf.relu(tf.batchNorm(y, mean, variance, offset, scale, 1e-5)); } },
  { name: 'conv2d filter and input gradients, stride 2', inputs: () => [image(), r([3, 3, 16, 12], 21)()], run: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same') },
  { name: 'max and average pooling gradients through a blocked conv', inputs: () => [image(), r([3, 3, 16, 16], 22)()], run: (x, w) => tf.add(tf.sum(tf.maxPool(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), 3, 2, 'same')), tf.sum(tf.avgPool(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), 2, 2, 'valid'))) },
];

function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    const d = Math.abs(actual[i]! - expected[i]!);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  return worst / (scale || 1);
}

async function on(backend: string, c: Case, grads: boolean): Promise<Float32Array[]> {
  await useBackend(backend);
  const inputs = c.inputs();
  const outputs = tf.tidy(() => (grads ? tf.grads((...xs: tf.Tensor[]) => tf.sum(c.run(...xs)))(inputs) : [c.run(...inputs)]));
  const values = await Promise.all(outputs.map(async (t) => Float32Array.from(await t.data())));
  tf.dispose([...inputs, ...outputs]);
  return values;
}

describe.skipIf(!availability.available)('onednn kernels against tfjs-backend-cpu', () => {
  beforeAll(async () => {
    await useBackend('onednn');
  });

  it.each(CASES)('$name', async (c) => {
    const before = tf.memory().numTensors;
    const [cpu, onednn] = [await on('cpu', c, false), await on('onednn', c, false)];
    expect(maxRelativeError(onednn[0]!, cpu[0]!)).toBeLessThan(1e-5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(GRAD_CASES)('gradients: $name', async (c) => {
    const [cpu, onednn] = [await on('cpu', c, true), await on('onednn', c, true)];
    cpu.forEach((g, i) => expect(maxRelativeError(onednn[i]!, g)).toBeLessThan(1e-5));
  });

  it('stays right when its plan cache holds only a few plans (least recently used first out, deferred outputs look theirs up again)', async () => {
    const loaded = loadAddon();
    tf.removeBackend('onednn');
    tf.registerBackend('onednn', () => new OnednnBackend(loaded.addon!, { threads: 2, maxPlans: 3 }), 3);
    try {
      for (const c of [...CASES.slice(0, 6), GRAD_CASES[0]!]) {
        const grads = c === GRAD_CASES[0];
        const [cpu, onednn] = [await on('cpu', c, grads), await on('onednn', c, grads)];
        cpu.forEach((v, i) => expect(maxRelativeError(onednn[i]!, v)).toBeLessThan(1e-5));
      }
    } finally {
      tf.removeBackend('onednn');
      tf.registerBackend('onednn', () => new OnednnBackend(loaded.addon!, { threads: 2 }), 3);
    }
  });

  it('ran those natively, without falling back to tfjs-backend-cpu for any kernel outside its lists', () => {
    expect(fallbacksSeen()).toEqual([]);
  });

  it('turns a oneDNN failure into an error naming the kernel and shapes, and keeps working', async () => {
    await useBackend('onednn');
    const dy = tf.ones([1, 5, 5, 4]);
    const filter = tf.ones([3, 3, 2, 4]);
    // dy is 5x5, but a 12x12 input at stride 2 with 'same' padding gives 6x6: oneDNN refuses the reorder.
    const call = () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { inputShape: [1, 12, 12, 2], strides: 2, pad: 'same', dataFormat: 'NHWC' });
    expect(call).toThrow(OnednnKernelError);
    expect(call).toThrow(/^onednn kernel 'Conv2DBackpropInput' failed on dy \[1, 5, 5, 4\] float32, filter \[3, 3, 2, 4\] float32: dnnl_\w+ failed: invalid arguments$/);
    const y = tf.relu(tf.neg(tf.conv2d(dy as tf.Tensor4D, tf.ones([1, 1, 4, 2]) as tf.Tensor4D, 1, 'valid')));
    expect(Array.from(await y.data())).toEqual(new Array(50).fill(0));
    tf.dispose([dy, filter, y]);
  });

  it('reports its layouts, cached weights and plans in tf.memory(), and frees them with the tensors', async () => {
    await useBackend('onednn');
    const x = tf.randomNormal([1, 8, 8, 16]);
    const w = tf.randomNormal([3, 3, 16, 32]);
    const before = tf.memory() as tf.MemoryInfo & { numBytesInLayouts: number; numBytesInDerived: number; numPlans: number };
    const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same');
    const memory = tf.memory() as typeof before;
    expect(memory.numBytesInDerived - before.numBytesInDerived).toBeGreaterThanOrEqual(3 * 3 * 16 * 32 * 4);
    expect(memory.numPlans).toBe(loadAddon().addon!.stats().plans);
    tf.dispose([x, w, y]);
    const after = tf.memory() as typeof memory;
    expect(after.numBytesInLayouts).toBe(before.numBytesInLayouts);
    expect(after.numBytesInDerived).toBe(before.numBytesInDerived);
  });
});
