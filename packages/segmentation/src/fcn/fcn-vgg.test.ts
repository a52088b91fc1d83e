import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { type HostTensor, type StateDict, crossEntropy, deterministicStateDict, trainStep, getModelEntry, listModels, readNpy, toFloat32Array } from '@convkit/core';
import { expectClose, nchwToNhwc, testBackends, useBackend } from '@convkit/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import '../index.js';
import { FCN, type FcnVariant, fcnStateDictFromVgg16 } from './fcn-vgg.js';

/**
 * FCN-32s/16s/8s against pytorch-fcn's port of the Caffe reference (tools/fixtures/make_segmentation_fixtures.py),
 * at narrow widths so that every backend runs them in milliseconds: the topology, padding, ceil-mode pools and
 * crops are those of VGG16's FCN; only the channel counts are smaller.
 */
const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);
const npy = (name: string) => readNpy(new Uint8Array(readFileSync(fixture(`${name}.npy`))));
const manifest = JSON.parse(readFileSync(fixture('manifest.json'), 'utf8')) as {
  fcn_narrow: { stages: number[][]; fc: number; classes: number; keys: Record<FcnVariant, string[]> };
};
const NARROW = manifest.fcn_narrow;
const narrow = (variant: FcnVariant) => new FCN(variant, { stages: NARROW.stages, fcChannels: NARROW.fc, numClasses: NARROW.classes });
const VARIANTS: FcnVariant[] = ['32s', '16s', '8s'];
const backends = await testBackends();

describe('FCN crop offsets', () => {
  beforeAll(() => useBackend(backends[0]));

  it("derives the Caffe reference's crops from the coordinate maps: 5, 9 and 19 / 27 / 31", () => {
    const offsets = Object.fromEntries(VARIANTS.map((v) => {
      const m = narrow(v);
      const o = m.offsets;
      m.dispose();
      return [v, o];
    }));
    expect(offsets).toEqual({ '32s': { output: 19 }, '16s': { pool4: 5, output: 27 }, '8s': { pool4: 5, pool3: 9, output: 31 } });
  });

  it('registers the three VGG16 variants with 21 classes', () => {
    expect(listModels({ task: 'segmentation', family: 'fcn' }).map((e) => e.name)).toEqual(
      expect.arrayContaining(['fcn32s_vgg16', 'fcn16s_vgg16', 'fcn8s_vgg16', 'fcn_resnet50']),
    );
    expect(getModelEntry('fcn8s_vgg16').numClasses).toBe(21);
  });
});

describe.each(backends)('FCN-VGG on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each(VARIANTS)('FCN-%s equals the PyTorch reference at 23x31 (names too)', async (variant) => {
    const model = narrow(variant).eval();
    const dict = deterministicStateDict(model);
    expect(new Set(dict.keys())).toEqual(new Set(NARROW.keys[variant]));
    model.loadStateDict(dict);
    expect([...(await model.stateDict()).keys()]).toEqual(NARROW.keys[variant]);
    const input = npy('fcn_narrow.input');
    const x = tf.tensor4d(nchwToNhwc(toFloat32Array(input), input.shape), [1, 23, 31, 3]);
    const y = model.call(x);
    expect(y.shape).toEqual([1, 23, 31, NARROW.classes]);
    const expected = npy(`fcn${variant}_narrow.out`);
    expectClose(await y.data(), nchwToNhwc(toFloat32Array(expected), expected.shape), 1e-5, `FCN-${variant}`);
    tf.dispose([x, y]);
    model.dispose();
  });

  it.each(VARIANTS)('FCN-%s output size equals the input size for odd and tiny sizes, down to 1x1', (variant) => {
    const model = narrow(variant).eval();
    for (const [h, w] of [[1, 1], [3, 5], [17, 17], [33, 47], [65, 31]] as const) {
      const y = tf.tidy(() => model.call(tf.randomNormal([1, h, w, 3])));
      expect(y.shape, `${h}x${w}`).toEqual([1, h, w, NARROW.classes]);
      y.dispose();
    }
    model.dispose();
  });
});

describe('FCN-8s training step (wasm)', () => {
  beforeAll(() => useBackend('wasm'));

  it('back-propagates through the crops, skips and transposed convolutions', async () => {
    const model = narrow('8s');
    model.loadStateDict(deterministicStateDict(model));
    const before = await model.scorePool3!.weight.data();
    const x = tf.randomNormal([2, 9, 11, 3]);
    const labels = tf.tensor1d(Array.from({ length: 2 * 9 * 11 }, (_, i) => i % NARROW.classes), 'int32');
    const optimizer = tf.train.sgd(0.01);
    const loss = await trainStep(model, optimizer, () => crossEntropy(tf.reshape(model.call(x), [-1, NARROW.classes]), labels));
    expect(Number.isFinite(loss)).toBe(true);
    const after = await model.scorePool3!.weight.data();
    expect(after.some((v, i) => v !== before[i])).toBe(true);
    tf.dispose([x, labels]);
    optimizer.dispose();
    model.dispose();
  });
});

describe('VGG16 classifier weights into FCN', () => {
  beforeAll(() => useBackend(backends[0]));

  /** A torchvision-named VGG state dict at the narrow widths: features.N and classifier.0/3/6. */
  function vggDict(): StateDict {
    const dict: StateDict = new Map();
    const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i * 0.37));
    const put = (key: string, shape: number[]) => dict.set(key, { dtype: 'float32', shape, data: values(shape.reduce((a, b) => a * b, 1), dict.size) } as HostTensor);
    let index = 0;
    let channels = 3;
    for (const widths of NARROW.stages) {
      for (const width of widths) {
        put(`features.${index}.weight`, [width, channels, 3, 3]);
        put(`features.${index}.bias`, [width]);
        channels = width;
        index += 2;
      }
      index += 1;
    }
    put('classifier.0.weight', [NARROW.fc, channels * 49]);
    put('classifier.0.bias', [NARROW.fc]);
    put('classifier.3.weight', [NARROW.fc, NARROW.fc]);
    put('classifier.3.bias', [NARROW.fc]);
    put('classifier.6.weight', [1000, NARROW.fc]);
    put('classifier.6.bias', [1000]);
    return dict;
  }

  it('renames the convolutions, and fc6 on a 7x7 map equals classifier.0 on the flattened map', async () => {
    const vgg = vggDict();
    const converted = fcnStateDictFromVgg16(vgg, NARROW.stages);
    expect(converted.get('conv1_1.weight')).toBe(vgg.get('features.0.weight'));
    expect(converted.get('conv5_3.bias')).toBe(vgg.get('features.28.bias'));
    const model = narrow('8s');
    const { missingKeys, unexpectedKeys } = model.loadStateDict(converted, { strict: false });
    expect(unexpectedKeys).toEqual([]);
    expect(missingKeys.every((k) => /^(score_|upscore)/.test(k))).toBe(true);
    // pool5-shaped features [1, 7, 7, C]; the linear layer reads them flattened in PyTorch's (C, H, W) order.
    const channels = NARROW.stages[4]!.at(-1)!;
    const features = tf.randomNormal([1, 7, 7, channels]) as tf.Tensor4D;
    const conv = model.fc6.call(features);
    const flat = tf.reshape(tf.transpose(features, [0, 3, 1, 2]), [1, channels * 49]);
    const w = vgg.get('classifier.0.weight')!;
    const linear = tf.add(tf.matMul(flat, tf.tensor2d(toFloat32Array(w), w.shape as [number, number]), false, true), tf.tensor1d(toFloat32Array(vgg.get('classifier.0.bias')!)));
    expectClose(await conv.data(), await linear.data(), 1e-5, 'fc6 as a convolution');
    tf.dispose([features, conv, flat, linear]);
    model.dispose();
  });

  it('names what is missing or misshapen', () => {
    const vgg = vggDict();
    vgg.delete('classifier.3.weight');
    expect(() => fcnStateDictFromVgg16(vgg, NARROW.stages)).toThrow(/no 'classifier.3.weight'/);
    expect(() => fcnStateDictFromVgg16(vggDict())).toThrow(/'features.0.weight' has shape \[4, 3, 3, 3\], expected \[64, 3, 3, 3\]/);
  });
});
