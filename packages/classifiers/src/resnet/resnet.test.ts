import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, getModelEntry, listModels, summary } from '@convkit/core';
import { readTorchvisionKeys, testBackends, torchvisionKeyMismatches, useBackend } from '@convkit/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BasicBlock, Bottleneck, CifarResNet, ResNet, ZeroPadShortcut,
  cifarResnet, resnet18, resnet34, resnet50, resnet101, resnet152,
} from './index.js';

const torchvision = readTorchvisionKeys(new URL('./fixtures/torchvision-keys.json', import.meta.url));

const builders = { resnet18, resnet34, resnet50, resnet101, resnet152 };
const backends = await testBackends();
// Building and tracing big models is fastest on wasm; the per-backend blocks below switch as they need.
const fastest = backends.includes('wasm') ? 'wasm' : backends[0];

beforeAll(() => useBackend(fastest));

describe('ResNet: torchvision names and counts', () => {
  it.each(Object.keys(builders))('%s has torchvision\'s state dict keys, shapes and parameter count', (name) => {
    const model = builders[name as keyof typeof builders]({ initWeights: false });
    expect(torchvisionKeyMismatches(model, torchvision[name]!)).toEqual([]);
    expect(getModelEntry(name).reference?.params).toBe(torchvision[name]!.params);
    model.dispose();
  });

  it('registers the five ImageNet depths and the paper\'s CIFAR depths', () => {
    expect(listModels({ family: 'resnet' }).map((m) => m.name)).toEqual([
      'resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152',
      'cifar_resnet20', 'cifar_resnet32', 'cifar_resnet44', 'cifar_resnet56', 'cifar_resnet110',
    ]);
  });

  it('initialises as torchvision: kaiming normal (fan_out) convolutions, optional zero last BatchNorm', async () => {
    const model = resnet18({ zeroInitResidual: true });
    const w = (await model.layer3.layers[0]!.namedParameters()[0]![1].data()) as Float32Array;
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(std).toBeCloseTo(Math.sqrt(2 / (256 * 9)), 3);
    const block = model.layer1.layers[0] as BasicBlock;
    expect(Array.from(await (block.bn2 as BatchNorm2d).weight!.data()).every((v) => v === 0)).toBe(true);
    expect(Array.from(await (block.bn1 as BatchNorm2d).weight!.data()).every((v) => v === 1)).toBe(true);
    model.dispose();
  });
});

describe('ResNet: published multiply-accumulates at 224x224', () => {
  beforeAll(() => useBackend(fastest));

  it.each(Object.keys(builders))('%s matches torchvision\'s GMACs to 3 significant digits', (name) => {
    const model = builders[name as keyof typeof builders]({ initWeights: false });
    const gmacs = summary(model, [1, 224, 224, 3]).macs / 1e9;
    expect(Number(gmacs.toPrecision(3))).toBe(Number(getModelEntry(name).reference!.gmacs!.toPrecision(3)));
    model.dispose();
  });
});

describe.each(backends)('ResNet on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('forwardFeatures gives the four stages at strides 4, 8, 16, 32; forward gives logits', () => {
    const model = resnet50({ numClasses: 7, initWeights: false }).eval();
    const before = tf.memory().numTensors;
    const x = tf.randomNormal([2, 32, 32, 3]);
    const f = model.forwardFeatures(x);
    expect([f.layer1.shape, f.layer2.shape, f.layer3.shape, f.layer4.shape]).toEqual([
      [2, 8, 8, 256], [2, 4, 4, 512], [2, 2, 2, 1024], [2, 1, 1, 2048],
    ]);
    const y = model.call(x);
    expect(y.shape).toEqual([2, 7]);
    tf.dispose([x, y, f.layer1, f.layer2, f.layer3, f.layer4]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it.each([
    [[false, true, true], 8, [2, 4, 4, 2048]],
    [[false, false, true], 16, [2, 2, 2, 2048]],
  ] as const)('replaceStrideWithDilation %j gives output stride %i', (dilate, _stride, layer4Shape) => {
    const model = resnet50({ replaceStrideWithDilation: [...dilate], numClasses: 5, initWeights: false }).eval();
    const x = tf.randomNormal([2, 32, 32, 3]);
    const f = model.forwardFeatures(x);
    expect(f.layer4.shape).toEqual(layer4Shape);
    const y = model.call(x);
    expect(y.shape).toEqual([2, 5]);
    expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([x, y, f.layer1, f.layer2, f.layer3, f.layer4]);
    model.dispose();
  });
});

describe('ResNet: options as torchvision has them', () => {
  it('dilates as torchvision: the first block of a dilated stage keeps the previous dilation', () => {
    const model = resnet50({ replaceStrideWithDilation: [false, true, true], initWeights: false });
    const conv2 = (layer: ResNet['layer3'], i: number) => (layer.layers[i] as Bottleneck).conv2;
    const downsampleStride = (layer: ResNet['layer3']) => ((layer.layers[0] as Bottleneck).downsample!.namedChildren()[0]![1] as unknown as { stride: number[] }).stride;
    expect([conv2(model.layer2, 0).stride, conv2(model.layer2, 0).dilation]).toEqual([[2, 2], [1, 1]]);
    expect([conv2(model.layer3, 0).stride, conv2(model.layer3, 0).dilation, conv2(model.layer3, 0).padding]).toEqual([[1, 1], [1, 1], [1, 1, 1, 1]]);
    expect([conv2(model.layer3, 1).dilation, conv2(model.layer3, 1).padding]).toEqual([[2, 2], [2, 2, 2, 2]]);
    expect([conv2(model.layer4, 0).stride, conv2(model.layer4, 0).dilation]).toEqual([[1, 1], [2, 2]]);
    expect(conv2(model.layer4, 2).dilation).toEqual([4, 4]);
    expect([downsampleStride(model.layer3), downsampleStride(model.layer4)]).toEqual([[1, 1], [1, 1]]);
    expect(model.countParams()).toBe(25_557_032);
    model.dispose();
  });

  it('refuses what torchvision refuses, saying why', () => {
    expect(() => resnet18({ replaceStrideWithDilation: [false, false, true] })).toThrow(/BasicBlock does not support dilation > 1/);
    expect(() => resnet50({ replaceStrideWithDilation: [true, true] as never })).toThrow(/takes 3 booleans/);
    expect(() => new BasicBlock(64, 64, { groups: 32 })).toThrow(/groups=1 and widthPerGroup=64/);
  });

  it('builds ResNeXt-50 32x4d from groups and widthPerGroup (torchvision: 25,028,904 parameters)', () => {
    const model = new ResNet(Bottleneck, [3, 4, 6, 3], { groups: 32, widthPerGroup: 4, initWeights: false });
    expect(model.countParams()).toBe(25_028_904);
    model.dispose();
  });

  it('plain: drops every shortcut, and only the projections\' parameters', () => {
    const residual = resnet34({ initWeights: false });
    const plain = resnet34({ plain: true, initWeights: false });
    const projections = residual.namedParameters().filter(([n]) => n.includes('downsample'));
    expect(projections.map(([n]) => n)).toEqual([
      'layer2.0.downsample.0.weight', 'layer2.0.downsample.1.weight', 'layer2.0.downsample.1.bias',
      'layer3.0.downsample.0.weight', 'layer3.0.downsample.1.weight', 'layer3.0.downsample.1.bias',
      'layer4.0.downsample.0.weight', 'layer4.0.downsample.1.weight', 'layer4.0.downsample.1.bias',
    ]);
    expect(plain.countParams()).toBe(residual.countParams() - projections.reduce((n, [, v]) => n + v.size, 0));
    residual.dispose();
    plain.dispose();
  });
});

describe('CIFAR ResNets (He et al. 2015, section 4.2)', () => {
  it.each([[20, 269_722], [32, 464_154], [44, 658_586], [56, 853_018], [110, 1_727_962]])(
    'ResNet-%i has %i parameters (the paper: 0.27M, 0.46M, 0.66M, 0.85M, 1.7M), plain or not', (depth, params) => {
      const residual = cifarResnet(depth, { initWeights: false });
      const plain = cifarResnet(depth, { plain: true, initWeights: false });
      expect(residual.countParams()).toBe(params);
      expect(plain.countParams()).toBe(params);
      expect(getModelEntry(`cifar_resnet${depth}`).reference?.params).toBe(params);
      // 6n+2 weighted layers: every convolution plus the classifier.
      const weighted = residual.namedParameters().filter(([n]) => n.endsWith('weight') && !n.includes('bn')).length;
      expect(weighted).toBe(depth);
      residual.dispose();
      plain.dispose();
    });

  it('rejects depths that are not 6n+2', () => {
    expect(() => cifarResnet(18)).toThrow(/6n\+2 layers/);
  });

  it('takes 8x8 grey digits: [N, 8, 8, 1] -> [N, 10], stages at 8x8, 4x4, 2x2', () => {
    const model = cifarResnet(8, { inChannels: 1 }).eval();
    const s = summary(model, [2, 8, 8, 1]);
    const out = (name: string) => s.layers.find((l) => l.name === name)?.outputShape;
    expect([out('layer1.0.bn2'), out('layer2.0.bn2'), out('layer3.0.bn2'), out('fc')]).toEqual([[2, 8, 8, 16], [2, 4, 4, 32], [2, 2, 2, 64], [2, 10]]);
    model.dispose();
  });

  it('option A shortcut: subsamples by the stride and zero-pads the new channels on both sides', () => {
    const x = tf.tensor4d(Array.from({ length: 3 * 3 * 2 }, (_, i) => i + 1), [1, 3, 3, 2]);
    const y = new ZeroPadShortcut(2, 6, 2).call(x);
    expect(y.shape).toEqual([1, 2, 2, 6]);
    expect(Array.from(y.dataSync())).toEqual([0, 0, 1, 2, 0, 0, 0, 0, 5, 6, 0, 0, 0, 0, 13, 14, 0, 0, 0, 0, 17, 18, 0, 0]);
    tf.dispose([x, y]);
    const model = new CifarResNet(20, { initWeights: false });
    expect((model.layer2.layers[0] as BasicBlock).downsample).toBeInstanceOf(ZeroPadShortcut);
    expect((model.layer1.layers[0] as BasicBlock).downsample).toBeNull();
    model.dispose();
  });
});

describe('ResNet input sizes', () => {
  it.each(['resnet18', 'resnet50', 'cifar_resnet20'])('%s runs at its minInputSize', (name) => {
    const entry = getModelEntry(name);
    const model = entry.create({ numClasses: 3, initWeights: false }).eval();
    const x = tf.zeros([1, entry.minInputSize, entry.minInputSize, entry.inputShape[2]]);
    const y = model.call(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 3]);
    tf.dispose([x, y]);
    model.dispose();
  });
});
