import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@convkit/core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import '../index.js';
import { TRANSPOSE_FIRST_MIN_MACS } from './transposed-matmul.js';

type Product = (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) => tf.Tensor;
type Case = [name: string, aShape: number[], bShape: number[], columns: number, product: Product];

/**
 * Every transpose combination, batched and not, plain and fused with a bias and an activation: small
 * products (tfjs's own path) and products at the size from which operands are transposed first.
 */
const CASES: Case[] = [];
// 512^3 multiply-adds: the smallest square product that is transposed first.
const side = Math.round(Math.cbrt(TRANSPOSE_FIRST_MIN_MACS));
for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
  for (const [rows, inner, columns] of [[3, 5, 4], [side, side, side]] as const) {
    const a = ta ? [inner, rows] : [rows, inner];
    const b = tb ? [columns, inner] : [inner, columns];
    const size = `${rows}x${inner}x${columns}`;
    CASES.push([`${size} transposeA ${ta} transposeB ${tb}`, a, b, columns, (x, y) => tf.matMul(x, y, ta, tb)]);
    CASES.push([`${size} batched [2, ...] transposeA ${ta} transposeB ${tb}`, [2, ...a], [2, ...b], columns, (x, y) => tf.matMul(x, y, ta, tb)]);
    CASES.push([`${size} fused with bias and relu, transposeA ${ta} transposeB ${tb}`, a, b, columns, (x, y, bias) => tf.fused.matMul({ a: x, b: y, transposeA: ta, transposeB: tb, bias, activation: 'relu' })]);
  }
}

async function on(backend: string, [, aShape, bShape, columns, product]: Case): Promise<Float32Array> {
  if (backend === 'cpu') await tf.setBackend('cpu');
  else await useBackend(backend);
  const [a, b, bias] = [tf.randomNormal(aShape, 0, 1, 'float32', 1), tf.randomNormal(bShape, 0, 1, 'float32', 2), tf.randomNormal([columns], 0, 1, 'float32', 3)];
  const y = product(a, b, bias);
  const values = Float32Array.from(await y.data());
  tf.dispose([a, b, bias, y]);
  return values;
}

describe('wasm matrix products with transposed operands (transposed first, then XNNPACK)', () => {
  it.each(CASES)('%s equals tfjs-backend-cpu', async (...c: Case) => {
    const cpu = await on('cpu', c);
    await useBackend('wasm');
    const before = tf.memory().numTensors;
    const wasm = await on('wasm', c);
    expect(tf.memory().numTensors).toBe(before);
    expect(wasm.length).toBe(cpu.length);
    // Relative to the largest output: float32 sums of 512 products differ in their last bits by order.
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < cpu.length; i++) {
      worst = Math.max(worst, Math.abs(wasm[i]! - cpu[i]!));
      scale = Math.max(scale, Math.abs(cpu[i]!));
    }
    expect(worst / (scale || 1)).toBeLessThan(1e-5);
  });

  it('leaves no intermediate data behind in the wasm backend', async () => {
    await useBackend('wasm');
    const a = tf.randomNormal([side, side]);
    const b = tf.randomNormal([side, side]);
    tf.dispose(tf.matMul(a, b, true, true));
    const bytes = tf.memory().numBytes;
    for (let i = 0; i < 5; i++) tf.dispose(tf.matMul(a, b, true, true));
    expect(tf.memory().numBytes).toBe(bytes);
    expect((tf.backend() as unknown as { dataIdMap: { numDataIds(): number } }).dataIdMap.numDataIds()).toBe(tf.memory().numTensors);
    tf.dispose([a, b]);
  });
});
