import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { type CreateModelOptions, type Module, deterministicStateDict, listModels, trainStep } from '@convkit/core';
import { expectFusionKeepsOutputs, liveTensors, testBackends, useBackend } from '@convkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticShapes } from './datasets/shapes.js';
import { type Detector, isDetector, totalLoss } from './detector.js';
import './index.js';

const registeredFromIndex = listModels({ task: 'detection' }).map((e) => e.name);

/**
 * Every registered detection model on every available backend: after fuseForInference, each tensor of
 * the unfused forward's output (features, or the RPN's objectness and deltas) to 1e-4 of its largest
 * value, and no tensors left once unfused. Deterministic weights, BatchNorm statistics included (with
 * PyTorch's initial ones folding changes next to nothing). yolov1 is left out: its 271M parameters at
 * 448x448 take minutes per forward on cpu, and it has neither BatchNorm nor ReLU (leaky ReLU throughout),
 * so fusion leaves it as it is; yolo_tiny runs the same layer builder with BatchNorm. fasterrcnn_resnet50_fpn
 * and fasterrcnn_vgg16 run one 128x128 image, and not on cpu: at their published sizes a forward is 134 and
 * over 100 GMACs.
 * Then the Detector surface: `detect` on a square and a non-square image of sizes other than the model's
 * input (boxes in each image's pixels), and one SGD step on `loss` for two shapes scenes.
 */
const backends = await testBackends();
const models = listModels({ task: 'detection' }).filter((entry) => entry.name !== 'yolov1');
const smallInput: Record<string, [number, number, number, number]> = { fasterrcnn_resnet50_fpn: [1, 128, 128, 3], fasterrcnn_vgg16: [1, 128, 128, 3] };
/**
 * The big two at 128 pixels (the FPN's transform resizes to 128, VGG-16's square input is 128) with fewer
 * proposals: the same layers and code paths at a fraction of the work.
 */
const BUILD_OPTIONS: Record<string, CreateModelOptions> = {
  fasterrcnn_resnet50_fpn: { transform: { minSize: 128, maxSize: 128 }, trainProposals: { preNmsTopN: 300, postNmsTopN: 100 }, testProposals: { preNmsTopN: 300, postNmsTopN: 100 } },
  fasterrcnn_vgg16: { inputSize: 128, trainProposals: { preNmsTopN: 600, postNmsTopN: 100 }, testProposals: { preNmsTopN: 600, postNmsTopN: 100 } },
};

/** Every tensor of a forward's output, read back and disposed. */
describe.each(models)('$name', (entry) => {
  let model: Module<tf.Tensor, unknown>;
  beforeAll(async () => {
    await useBackend(backends[0]);
    model = entry.create(BUILD_OPTIONS[entry.name]);
    model.loadStateDict(deterministicStateDict(model, 1));
    model.eval();
  }, 120_000);
  afterAll(() => model?.dispose());

  it.for(backends.filter((b) => !(b === 'cpu' && entry.name in smallInput)))('fused for inference on %s: the unfused outputs to 1e-4, no leaked tensors', async (backend) => {
    await useBackend(backend);
    const [height, width, channels] = entry.inputShape;
    const x = tf.randomUniform(smallInput[entry.name] ?? [backend === 'cpu' ? 1 : 2, height, width, channels], 0, 1, 'float32', 3);
    try {
      await expectFusionKeepsOutputs(model, () => model.call(x), entry.name);
    } finally {
      x.dispose();
    }
  });

  const big = entry.name in smallInput;
  it.for(backends.filter((b) => !(b === 'cpu' && big)))('detect on %s: two images of other sizes, boxes inside each, finite, no leaked tensors', async (backend) => {
    await useBackend(backend);
    expect(isDetector(model)).toBe(true);
    const detector = model as unknown as Detector;
    const side = big ? 96 : 48;
    const images = [
      syntheticShapes({ count: 1, size: side, seed: 5 })[0]!.image,
      { ...syntheticShapes({ count: 1, size: 2 * side, seed: 6 })[0]!.image },
    ];
    // A non-square one: the second image's top half.
    images[1] = { height: side, width: 2 * side, data: images[1]!.data.subarray(0, side * 2 * side * 3) };
    const before = liveTensors();
    const found = await detector.detect(images);
    expect(liveTensors()).toBe(before);
    expect(found).toHaveLength(2);
    found.forEach((d, n) => {
      const { height, width } = images[n]!;
      expect(d.boxes.length).toBe(4 * d.labels.length);
      expect(d.scores.length).toBe(d.labels.length);
      expect(Array.from(d.scores).every(Number.isFinite)).toBe(true);
      expect(Array.from(d.labels).every((l) => Number.isInteger(l) && l >= 0 && l < detector.numClasses - (entry.categories?.[0] === '__background__' ? 1 : 0))).toBe(true);
      expect(Array.from(d.boxes).every((v, i) => v >= 0 && v <= (i % 2 === 0 ? width : height) + 1e-3)).toBe(true);
    });
  });

  // One train step per model and backend, but not on cpu where another backend runs: tfjs-backend-cpu's
  // convolution gradients take 15 to 30 s for a step of even the small detectors. The big two train on
  // the first backend only (a VGG-16 step is seconds on wasm).
  const fast = backends.some((b) => b !== 'cpu') ? backends.filter((b) => b !== 'cpu') : backends;
  const trainBackends = big ? fast.slice(0, 1) : fast;
  it.for(trainBackends)('train step on %s: finite named losses, no leaked tensors', async (backend) => {
    await useBackend(backend);
    const detector = model as unknown as Detector;
    const size = big ? 128 : entry.inputShape[0] === 24 ? 64 : entry.inputShape[0];
    const samples = syntheticShapes({ count: 2, size, seed: 7 });
    const x = tf.tensor4d(Float32Array.from(samples.flatMap((s) => Array.from(s.image.data, (v) => v / 255))), [2, size, size, 3]);
    const optimizer = tf.train.sgd(1e-4);
    model.train();
    try {
      const before = liveTensors();
      const parts = tf.tidy(() => Object.fromEntries(Object.entries(detector.loss(x, samples)).map(([name, loss]) => [name, loss.dataSync()[0]!])));
      expect(liveTensors()).toBe(before);
      expect(Object.keys(parts).length).toBeGreaterThan(0);
      expect(Object.values(parts).every(Number.isFinite)).toBe(true);
      const loss = await trainStep(model, optimizer, () => totalLoss(detector.loss(x, samples)));
      expect(Number.isFinite(loss)).toBe(true);
      expect(liveTensors()).toBe(before);
    } finally {
      model.eval();
      x.dispose();
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
    expect(listModels({ task: 'detection' }).map((e) => e.name).sort()).toEqual([...registeredFromIndex].sort());
    expect(registeredFromIndex).toEqual(expect.arrayContaining(['rcnn_small', 'fastrcnn_small', 'fasterrcnn_small', 'fasterrcnn_vgg16', 'fasterrcnn_resnet50_fpn', 'yolov1', 'yolo_tiny']));
  });
});
