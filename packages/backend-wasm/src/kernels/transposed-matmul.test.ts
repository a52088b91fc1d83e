import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@convkit/core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import '../index.js';

type Product = (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) => tf.Tensor;

/** Every transpose combination, batched and not, plain and fused with a bias and an activation. */
const CASES: [string, number[], number[], Product][] = [];
for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
  const a = ta ? [5, 3] : [3, 5];
  const b = tb ? [4, 5] : [5, 4];
  CASES.push([`matMul transposeA ${ta} transposeB ${tb}`, a, b, (x, y) => tf.matMul(x, y, ta, tb)]);
  CASES.push([`batched [2, ...] transposeA ${ta} transposeB ${tb}`, [2, ...a], [2, ...b], (x, y) => tf.matMul(x, y, ta, tb)]);
  CASES.push([`fused with bias and relu, transposeA ${ta} transposeB ${tb}`, a, b, (x, y, bias) => tf.fused.matMul({ a: x, b: y, transposeA: ta, transposeB: tb, bias, activation: 'relu' })]);
}

async function on(backend: string, [, aShape, bShape, product]: (typeof CASES)[number]): Promise<Float32Array> {
  if (backend === 'cpu') await tf.setBackend('cpu');
  else await useBackend(backend);
  const [a, b, bias] = [tf.randomNormal(aShape, 0, 1, 'float32', 1), tf.randomNormal(bShape, 0, 1, 'float32', 2), tf.randomNormal([4], 0, 1, 'float32', 3)];
  const y = product(a, b, bias);
  const values = Float32Array.from(await y.data());
  tf.dispose([a, b, bias, y]);
  return values;
}

describe('wasm matrix products with transposed operands (transposed first, then XNNPACK)', () => {
  it.each(CASES)('%s equals tfjs-backend-cpu', async (...c) => {
    const cpu = await on('cpu', c);
    await useBackend('wasm');
    const before = tf.memory().numTensors;
    const wasm = await on('wasm', c);
    expect(tf.memory().numTensors).toBe(before);
    expect(wasm.length).toBe(cpu.length);
    for (let i = 0; i < cpu.length; i++) expect(wasm[i]).toBeCloseTo(cpu[i]!, 5);
  });

  it('leaves no intermediate data behind in the wasm backend', async () => {
    await useBackend('wasm');
    const a = tf.randomNormal([64, 32]);
    const b = tf.randomNormal([16, 64]);
    tf.dispose(tf.matMul(a, b, true, true));
    const bytes = tf.memory().numBytes;
    for (let i = 0; i < 5; i++) tf.dispose(tf.matMul(a, b, true, true));
    expect(tf.memory().numBytes).toBe(bytes);
    expect((tf.backend() as unknown as { dataIdMap: { numDataIds(): number } }).dataIdMap.numDataIds()).toBe(tf.memory().numTensors);
    tf.dispose([a, b]);
  });
});
