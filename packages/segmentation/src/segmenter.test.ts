import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { deterministicStateDict, getModelEntry, preprocess } from '@convkit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FCNTiny } from './fcn/fcn-tiny.js';
import './index.js';

describe('Segmenter.segmentPreprocessed', () => {
  const entry = getModelEntry('fcn_tiny');
  const image = { height: 13, width: 21, data: Uint8Array.from({ length: 13 * 21 * 3 }, (_, i) => (i * 37) % 256) };
  let model: FCNTiny;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = entry.create() as FCNTiny;
    model.loadStateDict(deterministicStateDict(model, 2));
  });

  it("on the registry's preprocessing gives segment()'s class map, probabilities to float32 rounding", async () => {
    const [expected] = await model.segment([image]);
    const x = preprocess(entry, image);
    const before = tf.memory().numTensors;
    const [got] = await model.segmentPreprocessed(x);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    expect(got!.classMap).toEqual(expected!.classMap);
    expect(Math.max(...got!.probabilities.map((p, i) => Math.abs(p - expected!.probabilities[i]!)))).toBeLessThan(1e-6);
  });

  it('resizes the logits to the size asked for, as a model whose preprocessing resizes needs', async () => {
    const x = preprocess({ ...entry, preprocessing: { ...entry.preprocessing!, resize: 26 } }, image);
    expect(x.shape).toEqual([1, 26, 42, 3]);
    const [got] = await model.segmentPreprocessed(x, [13, 21]);
    x.dispose();
    expect([got!.height, got!.width, got!.classMap.length, got!.probabilities.length]).toEqual([13, 21, 13 * 21, 13 * 21 * 4]);
    const sums = Array.from({ length: 13 * 21 }, (_, p) => got!.probabilities.slice(4 * p, 4 * p + 4).reduce((a, b) => a + b));
    expect(Math.max(...sums.map((s) => Math.abs(s - 1)))).toBeLessThan(1e-5);
  });
});
