import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { type CreateModelOptions, type Module, deterministicStateDict, listModels, trainStep } from '@convkit/core';
import { expectFusionKeepsOutputs, liveTensors, testBackends, useBackend } from '@convkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Segmenter, isSegmenter, totalSegmentationLoss } from './segmenter.js';
import './index.js';

const registeredFromIndex = listModels({ task: 'segmentation' }).map((e) => e.name);

/**
 * Every registered segmentation model on every available backend: after fuseForInference, the unfused
 * logits to 1e-4 of the largest, and no tensors left once unfused. Deterministic weights, BatchNorm
 * statistics included (with PyTorch's initial ones folding changes next to nothing, and FCN's class
 * scorers start at zero). The FCN-VGG16 variants are built at narrow widths: the same layers and
 * connections as VGG16's, which is what fusion depends on, at a fraction of a full-width forward.
 * Then the Segmenter surface: `segment` on two non-square images, and one SGD step on `loss`.
 */
const backends = await testBackends();
const models = listModels({ task: 'segmentation' });

const NARROW_VGG16: CreateModelOptions = { stages: [[4, 4], [6, 6], [8, 8, 8], [8, 8, 8], [8, 8, 8]], fcChannels: 16 };
const BUILD_OPTIONS: Record<string, CreateModelOptions> = {
  fcn32s_vgg16: NARROW_VGG16,
  fcn16s_vgg16: NARROW_VGG16,
  fcn8s_vgg16: NARROW_VGG16,
  fcn_resnet50: { initWeights: false },
};
/** Small enough for the dilated ResNet-50 on cpu; FCN-VGG's padding of 100 makes any input a 200-pixel one. */
const SIDE = 16;

/** Eval-mode output [N, H, W, classes], read back and disposed. */
describe.each(models)('$name', (entry) => {
  let model: Module<tf.Tensor, unknown>;
  beforeAll(async () => {
    await useBackend(backends[0]);
    model = entry.create(BUILD_OPTIONS[entry.name]);
    model.loadStateDict(deterministicStateDict(model, 1));
    model.eval();
  });
  afterAll(() => model?.dispose());

  it.for(backends)('fused for inference on %s: the unfused logits to 1e-4, no leaked tensors', async (backend) => {
    await useBackend(backend);
    const shape = [backend === 'cpu' ? 1 : 2, Math.max(SIDE, entry.minInputSize), Math.max(SIDE, entry.minInputSize), entry.inputShape[2]];
    const x = tf.randomNormal(shape, 0, 1, 'float32', 3);
    try {
      await expectFusionKeepsOutputs(model, () => model.call(x), entry.name, shape);
    } finally {
      x.dispose();
    }
  });

  const side = Math.max(SIDE, entry.minInputSize);
  it.for(backends)('segment on %s: a class map per image at its own size, finite probabilities, no leaked tensors', async (backend) => {
    await useBackend(backend);
    expect(isSegmenter(model)).toBe(true);
    const segmenter = model as unknown as Segmenter;
    const images = [[side, side + 3], [side + 2, side]].map(([height, width], n) => ({
      height: height!, width: width!, data: Uint8Array.from({ length: height! * width! * 3 }, (_, i) => (i * (7 + n)) % 251),
    }));
    const before = liveTensors();
    const found = await segmenter.segment(images);
    expect(liveTensors()).toBe(before);
    found.forEach((p, n) => {
      expect([p.height, p.width, p.numClasses]).toEqual([images[n]!.height, images[n]!.width, segmenter.numClasses]);
      expect(p.classMap.length).toBe(p.height * p.width);
      expect(Array.from(p.classMap).every((c) => c >= 0 && c < p.numClasses)).toBe(true);
      expect(p.probabilities.every(Number.isFinite)).toBe(true);
    });
  });

  // Not on cpu where another backend runs: tfjs-backend-cpu's convolution gradients are plain JavaScript
  // loops (tens of seconds for the dilated ResNet-50's step even at 16x16).
  it.for(backends.some((b) => b !== 'cpu') ? backends.filter((b) => b !== 'cpu') : backends)('train step on %s: finite named losses, no leaked tensors', async (backend) => {
    await useBackend(backend);
    const segmenter = model as unknown as Segmenter;
    const x = tf.randomUniform([2, side, side, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const masks = tf.tensor3d(Int32Array.from({ length: 2 * side * side }, (_, i) => i % segmenter.numClasses), [2, side, side], 'int32');
    const optimizer = tf.train.sgd(1e-4);
    const saved = await Promise.all(model.namedParameters().map(([, v]) => v.data()));
    model.train();
    try {
      const before = liveTensors();
      const loss = await trainStep(model, optimizer, () => totalSegmentationLoss(segmenter.loss(x, masks)));
      expect(Number.isFinite(loss)).toBe(true);
      expect(liveTensors()).toBe(before);
    } finally {
      model.eval();
      // The next backend's tests start from the same weights.
      model.namedParameters().forEach(([, v], i) => tf.tidy(() => v.assign(tf.tensor(saved[i]!, v.shape, v.dtype))));
      tf.dispose([x, masks]);
      optimizer.dispose();
    }
  });
});

/**
 * A model file whose registration the package's index.ts does not reach (a forgotten re-export) registers
 * only when imported on its own: import every source file and no new model may appear.
 */
describe('the registry', () => {
  it('holds every model a source file of the package registers, through index.ts alone', async () => {
    const root = fileURLToPath(new URL('.', import.meta.url));
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'));
    for (const file of files) await import(new URL(file, import.meta.url).href);
    expect(listModels({ task: 'segmentation' }).map((e) => e.name).sort()).toEqual([...registeredFromIndex].sort());
    expect(registeredFromIndex).toEqual(expect.arrayContaining(['fcn32s_vgg16', 'fcn16s_vgg16', 'fcn8s_vgg16', 'fcn_resnet50', 'fcn_tiny']));
  });
});
