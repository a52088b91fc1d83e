import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Linear, type StateDict, deterministicStateDict, getModelEntry, trainStep } from '@convkit/core';
import { testBackends, useBackend } from '@convkit/test-utils';
import { describe, expect, it } from 'vitest';
import { imagesToTensor, syntheticShapes } from '../datasets/shapes.js';
import { totalLoss } from '../detector.js';
import { FASTERRCNN_VGG16_SHAPES } from '../recipes.js';
import { fasterrcnnVgg16, vgg16ToFasterRcnn } from './faster-rcnn-vgg16.js';

const backends = await testBackends();

describe('fasterrcnn_vgg16', () => {
  it('has the paper\'s parameters: VGG-16 to conv5_3, RPN 3x3x512 + 512 x (4 + 2) x 9, fc6, fc7, 21 + 84 outputs', async () => {
    await useBackend(backends[0]!);
    const model = fasterrcnnVgg16({ initWeights: false });
    const count = (prefix: string) => model.namedParameters().filter(([n]) => n.startsWith(prefix)).reduce((s, [, v]) => s + v.size, 0);
    const conv = (cin: number, cout: number, k: number) => k * k * cin * cout + cout;
    const vggConvs = [[3, 64], [64, 64], [64, 128], [128, 128], [128, 256], [256, 256], [256, 256], [256, 512], [512, 512], [512, 512], [512, 512], [512, 512], [512, 512]]
      .reduce((s, [i, o]) => s + conv(i!, o!, 3), 0);
    expect(vggConvs).toBe(14_714_688);
    expect(count('backbone.')).toBe(vggConvs);
    // Section 3.1.1: the RPN's output layer has 512 x (4 + 2) x 9 weights (2.8 x 10^4).
    expect(model.rpn.cls.weight.size + model.rpn.bbox.weight.size).toBe(512 * (4 + 2) * 9);
    expect(count('rpn.')).toBe(conv(512, 512, 3) + 512 * 6 * 9 + 6 * 9);
    expect(count('roi_heads.')).toBe((25088 * 4096 + 4096) + (4096 * 4096 + 4096) + (4096 * 21 + 21) + (4096 * 84 + 84));
    expect(model.countParams()).toBe(137_078_239);
    expect(getModelEntry('fasterrcnn_vgg16').reference?.params).toBe(model.countParams());
    model.dispose();
  });

  it('takes fc6/fc7 and the convolutions from a VGG-16 classifier\'s state dict', async () => {
    await useBackend(backends[0]!);
    const model = fasterrcnnVgg16({ initWeights: false, inputSize: 64 });
    // A stand-in for vgg16().stateDict() with torchvision's names and shapes, each tensor filled with its index.
    const vgg: StateDict = new Map();
    let index = 0;
    const add = (name: string, shape: number[]) => vgg.set(name, { dtype: 'float32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(++index) });
    model.backbone.body.namedModules().forEach(([name, m]) => {
      if (m instanceof Conv2d) {
        add(`features.${name}.weight`, [m.outChannels, m.inChannels, 3, 3]);
        add(`features.${name}.bias`, [m.outChannels]);
      }
    });
    for (const [i, inF, outF] of [[0, 25088, 4096], [3, 4096, 4096], [6, 4096, 1000]] as const) {
      add(`classifier.${i}.weight`, [outF, inF]);
      add(`classifier.${i}.bias`, [outF]);
    }
    const mapped = vgg16ToFasterRcnn(vgg);
    expect(mapped.size).toBe(26 + 4);
    const { missingKeys, unexpectedKeys } = model.loadStateDict(mapped, { strict: false });
    expect(unexpectedKeys).toEqual([]);
    expect(missingKeys.every((k) => k.startsWith('rpn.') || k.startsWith('roi_heads.classifier') || k.startsWith('roi_heads.boxRegressor'))).toBe(true);
    const [fc6, fc7] = [model.roiHeads.fc.layers[1] as Linear, model.roiHeads.fc.layers[3] as Linear];
    expect((await fc6.weight.data())[0]).toBe(vgg.get('classifier.0.weight')!.data[0]);
    expect((await fc7.bias!.data())[0]).toBe(vgg.get('classifier.3.bias')!.data[0]);
    model.dispose();
  });
});

describe.each(backends.filter((b) => b !== 'cpu'))('fasterrcnn_vgg16 training step (%s)', (backend) => {
  it('computes both stages\' losses, takes an SGD step on them, and leaks no tensors', async () => {
    await useBackend(backend);
    const samples = syntheticShapes({ count: 2, size: 128, seed: 4 });
    const model = fasterrcnnVgg16({ inputSize: 128, numClasses: 3, trainProposals: { preNmsTopN: 600, postNmsTopN: 100 } });
    const x = imagesToTensor(samples.map((s) => s.image));
    const optimizer = tf.train.sgd(1e-4);
    const before = tf.memory().numTensors;
    const [rpn, heads] = tf.tidy(() => {
      const { rpn: r, roiHeads: h } = model.loss(x, samples);
      return [r.dataSync()[0]!, h.dataSync()[0]!];
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(rpn).toBeGreaterThan(0);
    expect(heads).toBeGreaterThan(0);
    const fc7 = (model.roiHeads.fc.layers[3] as Linear).weight;
    const rpnConv = model.rpn.conv.weight;
    const [fc7Before, rpnBefore] = [await fc7.data(), await rpnConv.data()];
    const loss = await trainStep(model, optimizer, () => totalLoss(model.loss(x, samples)));
    // Not equal to rpn + heads: the samplers draw new anchors and RoIs on every call.
    expect(Number.isFinite(loss) && loss > 0).toBe(true);
    // Both stages moved: the heads' fc7 and the RPN's conv.
    const changed = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.prototype.some.call(a, (v: number, i: number) => v !== b[i]);
    expect(changed(await fc7.data(), fc7Before)).toBe(true);
    expect(changed(await rpnConv.data(), rpnBefore)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    console.info(`fasterrcnn_vgg16 (${backend}) at 128x128: rpn loss ${rpn.toFixed(4)}, heads loss ${heads.toFixed(4)}`);
    optimizer.dispose();
    x.dispose();
    model.dispose();
  }, 300_000);
});

describe.each(backends.filter((b) => b !== 'cpu').slice(0, 1))('fasterrcnn_vgg16 on the shapes recipe (%s)', (backend) => {
  it('a few Adam steps on one batch lower both stages\' losses', async () => {
    await useBackend(backend);
    const model = fasterrcnnVgg16({ ...FASTERRCNN_VGG16_SHAPES.build, initWeights: false });
    model.loadStateDict(deterministicStateDict(model, FASTERRCNN_VGG16_SHAPES.seed));
    const samples = syntheticShapes({ count: 2, size: 64, seed: 8 });
    const x = imagesToTensor(samples.map((s) => s.image));
    const optimizer = tf.train.adam(FASTERRCNN_VGG16_SHAPES.learningRate);
    model.train();
    // The samplers draw other anchors and RoIs on each call: each stage's loss as the mean of two draws.
    const stages = () => {
      const draws = [0, 1].map(() => tf.tidy(() => Object.values(model.loss(x, samples)).map((l) => l.dataSync()[0]!)));
      return [0, 1].map((k) => draws.reduce((sum, d) => sum + d[k]!, 0) / draws.length);
    };
    const before = stages();
    for (let step = 0; step < 4; step++) await trainStep(model, optimizer, () => totalLoss(model.loss(x, samples)));
    const after = stages();
    console.info(`fasterrcnn_vgg16 shapes recipe (${backend}), 4 steps on one batch: rpn ${before[0]!.toFixed(3)} -> ${after[0]!.toFixed(3)}, heads ${before[1]!.toFixed(3)} -> ${after[1]!.toFixed(3)}`);
    expect(after[0]).toBeLessThan(before[0]!);
    expect(after[1]).toBeLessThan(before[1]!);
    x.dispose();
    optimizer.dispose();
    model.dispose();
  }, 300_000);
});
