import { Conv2d, Linear, Sequential, getModelEntry, summary } from '@convkit/core';
import { std, testBackends, useBackend } from '@convkit/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { VGG_CONFIGS, initVggWeights, makeVggLayers } from './index.js';

const backends = await testBackends();
/** The classifier every VGG shares: 512x7x7 -> 4096 -> 4096 -> 1000, weights and biases. */
const CLASSIFIER_PARAMS = 512 * 7 * 7 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 1000 + 1000;

describe('VGG configurations', () => {
  beforeAll(() => useBackend(backends.includes('wasm') ? 'wasm' : backends[0]));

  it('A, B, D and E have 11, 13, 16 and 19 weight layers (3 of them fully connected)', () => {
    const depth = (c: keyof typeof VGG_CONFIGS) => VGG_CONFIGS[c].filter((v) => v !== 'M').length + 3;
    expect([depth('A'), depth('B'), depth('D'), depth('E')]).toEqual([11, 13, 16, 19]);
    for (const config of Object.values(VGG_CONFIGS)) expect(config.filter((v) => v === 'M')).toHaveLength(5);
  });

  it("numbers layers as torchvision's make_layers: conv, [BatchNorm,] ReLU per width, MaxPool per 'M'", () => {
    const types = (bn: boolean) => makeVggLayers(VGG_CONFIGS.A, bn).namedChildren().slice(0, 5).map(([n, m]) => `${n}:${m.typeName}`);
    expect(types(false)).toEqual(['0:Conv2d', '1:ReLU', '2:MaxPool2d', '3:Conv2d', '4:ReLU']);
    expect(types(true)).toEqual(['0:Conv2d', '1:BatchNorm2d', '2:ReLU', '3:MaxPool2d', '4:Conv2d']);
  });

  it('counts the first layers of VGG-16 as written out in docs/classifiers/vgg.md, and the whole network as torchvision', () => {
    const features = makeVggLayers(VGG_CONFIGS.D);
    const s = summary(features, [1, 32, 32, 3]);
    const params = (name: string) => s.layers.find((l) => l.name === name)!.params;
    expect(params('0')).toBe(3 * 3 * 3 * 64 + 64);
    expect(params('2')).toBe(3 * 3 * 64 * 64 + 64);
    expect(params('5')).toBe(3 * 3 * 64 * 128 + 128);
    expect(params('7')).toBe(3 * 3 * 128 * 128 + 128);
    expect(s.totalParams).toBe(14_714_688);
    expect(s.layers.at(-1)!.outputShape).toEqual([1, 1, 1, 512]);
    expect(s.totalParams + CLASSIFIER_PARAMS).toBe(getModelEntry('vgg16').reference!.params);
    features.dispose();
  });

  it("initialises as torchvision: kaiming normal (fan-out) convolutions, N(0, 0.01^2) linear layers, zero biases", async () => {
    const conv = new Conv2d(32, 64, 3);
    const linear = new Linear(512, 256);
    const layers = new Sequential(conv, linear);
    initVggWeights(layers);
    expect(std(await conv.weight.data()) / Math.sqrt(2 / (64 * 3 * 3))).toBeCloseTo(1, 1);
    expect(std(await linear.weight.data()) / 0.01).toBeCloseTo(1, 1);
    for (const bias of [conv.bias!, linear.bias!]) expect((await bias.data()).every((v) => v === 0)).toBe(true);
    layers.dispose();
  });

  it('BatchNorm adds a weight and a bias per conv channel', () => {
    for (const [name, config] of [['vgg11', 'A'], ['vgg13', 'B'], ['vgg16', 'D'], ['vgg19', 'E']] as const) {
      const widths = VGG_CONFIGS[config].filter((v): v is number => v !== 'M');
      const plain = getModelEntry(name).reference!.params!;
      expect(plain + 2 * widths.reduce((a, b) => a + b, 0), name).toBe(getModelEntry(`${name}_bn`).reference!.params);
    }
  });
});
