import * as tf from '@tensorflow/tfjs-core';
import { getModelEntry, listModels, summary } from '@convkit/core';
import { readTorchvisionKeys, testBackends, torchvisionKeyMismatches, useBackend } from '@convkit/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { DenseBlock, DenseLayer, densenet121, densenet161, densenet169, densenet201 } from './index.js';

const torchvision = readTorchvisionKeys(new URL('./fixtures/torchvision-keys.json', import.meta.url));

const builders = { densenet121, densenet161, densenet169, densenet201 };
const backends = await testBackends();
const fastest = backends.includes('wasm') ? 'wasm' : backends[0];

beforeAll(() => useBackend(fastest));

describe('DenseNet: torchvision names and counts', () => {
  it.each(Object.keys(builders))('%s has torchvision\'s state dict keys, shapes and parameter count', (name) => {
    const model = builders[name as keyof typeof builders]({ initWeights: false });
    expect(torchvisionKeyMismatches(model, torchvision[name]!)).toEqual([]);
    expect(getModelEntry(name).reference?.params).toBe(torchvision[name]!.params);
    model.dispose();
  });

  it('registers the four published configurations', () => {
    expect(listModels({ family: 'densenet' }).map((m) => m.name)).toEqual(['densenet121', 'densenet161', 'densenet169', 'densenet201']);
  });

  it('names its private modules as torchvision does in summaries and errors', () => {
    const model = densenet121({ initWeights: false });
    const types = new Map(model.namedModules().map(([name, m]) => [name, m.typeName]));
    expect([types.get('features.denseblock1'), types.get('features.denseblock1.denselayer1'), types.get('features.transition1')])
      .toEqual(['_DenseBlock', '_DenseLayer', '_Transition']);
    model.dispose();
  });
});

describe('DenseNet: published multiply-accumulates at 224x224', () => {
  it.each(Object.keys(builders))('%s matches torchvision\'s GMACs to 3 significant digits', (name) => {
    const model = builders[name as keyof typeof builders]({ initWeights: false });
    const gmacs = summary(model, [1, 224, 224, 3]).macs / 1e9;
    expect(Number(gmacs.toPrecision(3))).toBe(Number(getModelEntry(name).reference!.gmacs!.toPrecision(3)));
    model.dispose();
  });
});

describe.each(backends)('DenseNet on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('concatenates: each dense layer adds growthRate channels, each transition halves channels and size', () => {
    const model = densenet121({ numClasses: 4, initWeights: false }).eval();
    const before = tf.memory().numTensors;
    const s = summary(model, [2, 32, 32, 3]);
    const out = (name: string) => s.layers.find((l) => l.name === name)?.outputShape;
    // Stem to 8x8x64; block 1 ends at 64 + 6 * 32 = 256; the transition gives 128 at 4x4.
    expect(out('features.denseblock1.denselayer1.conv2')).toEqual([2, 8, 8, 32]);
    expect(out('features.denseblock1.denselayer6.norm1')).toEqual([2, 8, 8, 64 + 5 * 32]);
    expect(out('features.transition1.norm')).toEqual([2, 8, 8, 256]);
    expect(out('features.transition1.pool')).toEqual([2, 4, 4, 128]);
    // 128 + 12 * 32 = 512 -> 256; 256 + 24 * 32 = 1024 -> 512; 512 + 16 * 32 = 1024 at norm5.
    expect(out('features.transition2.pool')).toEqual([2, 2, 2, 256]);
    expect(out('features.transition3.pool')).toEqual([2, 1, 1, 512]);
    expect(out('features.norm5')).toEqual([2, 1, 1, 1024]);
    expect(out('classifier')).toEqual([2, 4]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('a dense block\'s output starts with its input, unchanged', () => {
    const block = new DenseBlock(2, 3, 2, 4).eval();
    const x = tf.randomNormal([1, 5, 5, 3]);
    const y = block.call(x);
    expect(y.shape).toEqual([1, 5, 5, 3 + 2 * 4]);
    expect(Array.from(tf.slice(y, [0, 0, 0, 0], [1, 5, 5, 3]).dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([x, y]);
    block.dispose();
  });

  it('runs densenet121 at its minInputSize and refuses one pixel less, naming the layer', () => {
    const entry = getModelEntry('densenet121');
    const model = entry.create({ numClasses: 3, initWeights: false }).eval();
    const side = entry.minInputSize;
    const y = tf.tidy(() => model.call(tf.zeros([1, side, side, 3])) as tf.Tensor);
    expect(y.shape).toEqual([1, 3]);
    y.dispose();
    expect(() => tf.tidy(() => model.call(tf.zeros([1, side - 1, side - 1, 3])) as tf.Tensor)).toThrow(/features\.transition3\.pool/);
    model.dispose();
  });
});

describe('DenseNet init', () => {
  it('is torchvision\'s: kaiming normal (fan_in) convolutions, BatchNorm 1 and 0, zero classifier bias', async () => {
    const model = densenet121();
    const layer = (model.features.namedChildren().find(([n]) => n === 'denseblock2')![1] as DenseBlock).layers[3] as DenseLayer;
    const w = (await layer.conv1.weight.data()) as Float32Array;
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(std).toBeCloseTo(Math.sqrt(2 / (128 + 3 * 32)), 2);
    expect(Array.from(await model.classifier.bias!.data()).every((v) => v === 0)).toBe(true);
    expect(Array.from(await layer.norm1.weight!.data()).every((v) => v === 1)).toBe(true);
    model.dispose();
  });
});
