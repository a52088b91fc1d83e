import * as tf from '@tensorflow/tfjs-core';
import { type Conv2d, type Linear, LocalResponseNorm, type ModelSummary, summary } from '@convkit/core';
import { closeness, testBackends, useBackend } from '@convkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlexNetPaper, TowerLocalResponseNorm } from './index.js';

const backends = await testBackends();

describe.each(backends)('on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('normalises each tower on its own: no channel window crosses the tower boundary', async () => {
    const x = tf.randomNormal([1, 3, 3, 96], 0, 3, 'float32', 7);
    const towers = new TowerLocalResponseNorm(2, 5, 5e-4, 0.75, 2).call(x);
    const lrn = new LocalResponseNorm(5, 5e-4, 0.75, 2);
    const perTower = tf.concat(tf.split(x, 2, -1).map((t) => lrn.call(t)), -1);
    const whole = lrn.call(x);
    expect(closeness(await towers.data(), await perTower.data()).maxRelativeError).toBeLessThan(1e-6);
    // Channels 46 and 47 see channel 48 and 49 across the boundary when normalised as one block.
    expect(closeness(await towers.data(), await whole.data()).maxRelativeError).toBeGreaterThan(1e-6);
    tf.dispose([x, towers, perTower, whole]);
  });
});

describe('alexnet_paper, counted as the paper and the lecture notes count it', () => {
  let model: AlexNetPaper;
  let s: ModelSummary;
  const layer = (name: string) => s.layers.find((l) => l.name === name)!;

  beforeAll(async () => {
    await useBackend(backends.includes('wasm') ? 'wasm' : backends[0]);
    model = new AlexNetPaper();
    s = summary(model, [1, 227, 227, 3]);
  });
  afterAll(() => model.dispose());

  it('initialises as the paper: weights N(0, 0.01^2), biases 1 in conv2, conv4, conv5, fc6, fc7 and 0 elsewhere', async () => {
    const layers = new Map(model.namedModules());
    for (const name of ['features.conv1', 'features.conv3', 'features.conv5', 'classifier.fc6', 'classifier.fc8']) {
      const weights = await (layers.get(name) as Conv2d | Linear).weight.data();
      let squares = 0;
      for (const w of weights) squares += w * w;
      expect(Math.sqrt(squares / weights.length) / 0.01, name).toBeCloseTo(1, 1);
    }
    const biasOne = new Set(['features.conv2', 'features.conv4', 'features.conv5', 'classifier.fc6', 'classifier.fc7']);
    for (const name of ['features.conv1', 'features.conv2', 'features.conv3', 'features.conv4', 'features.conv5', 'classifier.fc6', 'classifier.fc7', 'classifier.fc8']) {
      const bias = await (layers.get(name) as Conv2d | Linear).bias!.data();
      expect(bias.every((b) => b === (biasOne.has(name) ? 1 : 0)), name).toBe(true);
    }
  });

  it('conv1: 11x11x3 kernels, 48 per tower, 2 towers: 34,848 weights', () => {
    expect((model.features.layers[0] as Conv2d).weight.size).toBe(11 * 11 * 3 * 48 * 2);
    expect(11 * 11 * 3 * 48 * 2).toBe(34_848);
    expect(layer('features.conv1').params).toBe(34_848 + 96);
    expect(layer('features.conv1').outputShape).toEqual([1, 55, 55, 96]);
  });

  it('towers split at conv2, conv4 and conv5 and join at conv3 and the fully-connected layers', () => {
    expect(layer('features.conv2').params).toBe(5 * 5 * 48 * 128 * 2 + 256);
    expect(layer('features.conv3').params).toBe(3 * 3 * 256 * 384 + 384);
    expect(layer('features.conv4').params).toBe(3 * 3 * 192 * 192 * 2 + 384);
    expect(layer('features.conv5').params).toBe(3 * 3 * 192 * 128 * 2 + 256);
    expect(layer('features.pool1').outputShape).toEqual([1, 27, 27, 96]);
    expect(layer('features.pool2').outputShape).toEqual([1, 13, 13, 256]);
    expect(layer('features.conv5').outputShape).toEqual([1, 13, 13, 256]);
    expect(layer('features.pool5').outputShape).toEqual([1, 6, 6, 256]);
  });

  it("fc6 takes pool5's 6x6x256 map: 37.7M weights; the notes' 177M is fc6 fed conv5's 13x13 map before pool5", () => {
    expect(layer('classifier.fc6').params).toBe(6 * 6 * 256 * 4096 + 4096);
    expect(6 * 6 * 256 * 4096).toBe(37_748_736);
    const [, h, w, c] = layer('features.conv5').outputShape as [number, number, number, number];
    expect(13 * 13 * 128 * 2 * 2048 * 2).toBe(h * w * c * 4096);
    expect(h * w * c * 4096).toBe(177_209_344);
  });

  it('totals 60,965,224 parameters (the paper: "60 million") and 724,406,816 multiply-adds at 227x227', () => {
    expect(s.totalParams).toBe(60_965_224);
    expect(s.layers.reduce((n, l) => n + l.params, 0)).toBe(s.totalParams);
    const convMacs = 55 * 55 * 96 * (11 * 11 * 3) + 27 * 27 * 256 * (5 * 5 * 48) + 13 * 13 * 384 * (3 * 3 * 256)
      + 13 * 13 * 384 * (3 * 3 * 192) + 13 * 13 * 256 * (3 * 3 * 192);
    expect(s.macs).toBe(convMacs + 9216 * 4096 + 4096 * 4096 + 4096 * 1000);
    expect(s.macs).toBe(724_406_816);
  });

  it('rejects an input that does not give the 6x6 map fc6 is sized for, and says which sizes work', () => {
    const x = tf.zeros([1, 224, 224, 3]);
    expect(() => model.call(x)).toThrow(/fc6 takes the 6x6x256 map after pool5, but input \[1,224,224,3\] gives 5x5: use a 227x227 input/);
    x.dispose();
  });
});
