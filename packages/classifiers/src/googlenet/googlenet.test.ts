import * as tf from '@tensorflow/tfjs-core';
import { type ModelSummary, summary } from '@convkit/core';
import { std, testBackends, useBackend } from '@convkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BasicConv2d, GoogLeNet, type GoogLeNetOutputs, googlenet } from './index.js';

const backends = await testBackends();

async function meanOf(t: tf.Tensor): Promise<number> {
  const m = tf.mean(t);
  const [value] = await m.data();
  m.dispose();
  return value!;
}

describe('googlenet', () => {
  let model: GoogLeNet;
  let s: ModelSummary;
  /** Parameters of every summary row under a module path. */
  const paramsUnder = (prefix: string) => s.layers.filter((l) => l.name.startsWith(`${prefix}.`)).reduce((n, l) => n + l.params, 0);
  const outputOf = (name: string) => s.layers.find((l) => l.name === name)!.outputShape;

  beforeAll(async () => {
    await useBackend(backends.includes('wasm') ? 'wasm' : backends[0]);
    model = googlenet({ numClasses: 1000 });
    s = summary(model, [1, 224, 224, 3]);
  });
  afterAll(() => model.dispose());

  it('has 13,004,888 parameters with the auxiliary heads and 6,624,904 (the published count) without', () => {
    expect(model.countParams()).toBe(13_004_888);
    const published = googlenet({ auxLogits: false, initWeights: false });
    expect(published.countParams()).toBe(6_624_904);
    published.dispose();
    // aux1 sits on inception4a (512 channels), aux2 on inception4d (528).
    const aux = (channels: number) => channels * 128 + 2 * 128 + 2048 * 1024 + 1024 + 1024 * 1000 + 1000;
    expect(aux(512) + aux(528)).toBe(13_004_888 - 6_624_904);
  });

  it("initialises as torchvision: conv and linear weights N(0, 0.01^2), BatchNorm 1 and 0", async () => {
    for (const w of [model.conv3.conv.weight, (model.inception4e.branch2.layers[1] as BasicConv2d).conv.weight, model.fc.weight]) {
      expect(std(await w.data()) / 0.01, w.name).toBeCloseTo(1, 1);
    }
    expect((await model.conv1.bn.weight!.data()).every((v) => v === 1)).toBe(true);
    expect((await model.conv1.bn.bias!.data()).every((v) => v === 0)).toBe(true);
  });

  it('counts its first layers as written out in docs/classifiers/googlenet.md', () => {
    expect(paramsUnder('conv1')).toBe(7 * 7 * 3 * 64 + 2 * 64);
    expect(paramsUnder('conv2')).toBe(64 * 64 + 2 * 64);
    expect(paramsUnder('conv3')).toBe(3 * 3 * 64 * 192 + 2 * 192);
    expect(paramsUnder('inception3a.branch1')).toBe(192 * 64 + 2 * 64);
    expect(paramsUnder('inception3a.branch2')).toBe(192 * 96 + 2 * 96 + 3 * 3 * 96 * 128 + 2 * 128);
    // torchvision's "5x5" branch is 3x3 (pytorch/vision#906): 4,608 weights where the paper has 12,800.
    expect(paramsUnder('inception3a.branch3')).toBe(192 * 16 + 2 * 16 + 3 * 3 * 16 * 32 + 2 * 32);
    expect(paramsUnder('inception3a.branch4')).toBe(192 * 32 + 2 * 32);
    expect(paramsUnder('inception3a')).toBe(155_872);
  });

  it("has the paper's Table 1 output sizes at 224x224", () => {
    expect(outputOf('conv1.relu')).toEqual([1, 112, 112, 64]);
    expect(outputOf('maxpool1')).toEqual([1, 56, 56, 64]);
    expect(outputOf('conv3.relu')).toEqual([1, 56, 56, 192]);
    expect(outputOf('maxpool2')).toEqual([1, 28, 28, 192]);
    const depths: [string, number, number][] = [
      ['inception3a', 28, 256], ['inception3b', 28, 480], ['inception4a', 14, 512], ['inception4b', 14, 512],
      ['inception4c', 14, 512], ['inception4d', 14, 528], ['inception4e', 14, 832], ['inception5a', 7, 832], ['inception5b', 7, 1024],
    ];
    for (const [block, size, depth] of depths) expect(outputOf(`${block}.cat`), block).toEqual([1, size, size, depth]);
    expect(outputOf('avgpool')).toEqual([1, 1, 1, 1024]);
    expect(s.layers.some((l) => l.name.startsWith('aux')), 'aux heads run in training only').toBe(false);
  });

  it('returns { logits, aux2, aux1 } in training, each head named by where it sits, and plain logits in eval', async () => {
    const small = googlenet({ numClasses: 3 });
    // Mark each head by its bias. (torchvision 0.14 returns aux2's logits as `aux_logits1` and aux1's as `aux_logits2`.)
    tf.tidy(() => {
      small.aux1!.fc2.bias!.assign(tf.fill([3], 100));
      small.aux2!.fc2.bias!.assign(tf.fill([3], -100));
    });
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 3);
    const out = small.train().call(x) as GoogLeNetOutputs;
    expect(Object.keys(out)).toEqual(['logits', 'aux2', 'aux1']);
    for (const t of Object.values(out)) expect(t.shape).toEqual([2, 3]);
    expect(await meanOf(out.aux1)).toBeGreaterThan(50);
    expect(await meanOf(out.aux2)).toBeLessThan(-50);
    tf.dispose(Object.values(out));
    const logits = small.eval().call(x) as tf.Tensor;
    expect(logits).toBeInstanceOf(tf.Tensor);
    expect(logits.shape).toEqual([2, 3]);
    logits.dispose();
    small.dispose();

    const noAux = googlenet({ numClasses: 3, auxLogits: false, initWeights: false });
    const trained = noAux.train().call(x);
    expect(trained).toBeInstanceOf(tf.Tensor);
    tf.dispose([trained as tf.Tensor, x]);
    noAux.dispose();
  });
});
