import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { type Module, deterministicStateDict, getModelEntry, readNpy, summary, toFloat32Array, torchShape, trainStep } from '@convkit/core';
import { closeness, testBackends, useBackend } from '@convkit/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { imagesToTensor, syntheticShapes } from '../datasets/shapes.js';
import { totalLoss } from '../detector.js';
import type { RgbImage } from '../selective-search/image.js';
import { type FasterRCNNFPN, fasterrcnnResnet50Fpn } from './faster-rcnn-fpn.js';

/**
 * fasterrcnn_resnet50_fpn against torchvision 0.14 (tools/fixtures/make_fasterrcnn_fixtures.py): the state
 * dict's names, order and shapes, the published parameter count, and with the same deterministic weights
 * (scaled by the fixture's powers of two) on one batch of three images of different sizes: the transform's
 * padded batch, the RPN's proposals and the final boxes, scores and labels, same count and order.
 */
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const npy = (name: string) => readNpy(new Uint8Array(readFileSync(fixture(`${name}.npy`))));
const manifest = JSON.parse(readFileSync(fixture('fasterrcnn.json'), 'utf8')) as {
  params: number; trainableParams: number; stateDictKeys: string[]; stateDictShapes: number[][];
  options: { min_size: number; max_size: number; rpn_pre_nms_top_n_test: number; rpn_post_nms_top_n_test: number };
  scales: Record<string, number>; seed: number; batchShape: number[]; numProposals: number[]; numDetections: number[];
};

/** [key, PyTorch shape] per state-dict entry in PyTorch's order, without reading values back. */
function stateDictListing(model: Module<any, any>): [string, number[]][] {
  const layouts = new Map(model.namedParameterLayouts());
  const out: [string, number[]][] = [];
  for (const [prefix, m] of model.namedModules()) {
    const key = (n: string) => (prefix ? `${prefix}.${n}` : n);
    for (const [n, v] of m.namedParameters()) if (!n.includes('.')) out.push([key(n), torchShape(v.shape, layouts.get(key(n)) ?? 'plain')]);
    for (const [n, v] of m.namedBuffers()) if (!n.includes('.')) out.push([key(n), v.shape.slice()]);
  }
  return out;
}

function seededModel(): FasterRCNNFPN {
  const { options } = manifest;
  const model = fasterrcnnResnet50Fpn({
    initWeights: false,
    transform: { minSize: options.min_size, maxSize: options.max_size },
    testProposals: { preNmsTopN: options.rpn_pre_nms_top_n_test, postNmsTopN: options.rpn_post_nms_top_n_test },
  });
  const dict = deterministicStateDict(model, manifest.seed);
  for (const [name, factor] of Object.entries(manifest.scales)) {
    const data = dict.get(name)!.data as Float32Array;
    for (let i = 0; i < data.length; i++) data[i] *= factor;
  }
  model.loadStateDict(dict);
  return model;
}

const images: RgbImage[] = manifest.numProposals.map((_, i) => {
  const t = npy(`fasterrcnn.images.${i}`);
  return { data: t.data as Uint8Array, height: t.shape[0]!, width: t.shape[1]! };
});

describe('fasterrcnn_resnet50_fpn structure', () => {
  it('has torchvision parameter count, trainable layers, names, order and shapes', async () => {
    await useBackend('wasm');
    const model = fasterrcnnResnet50Fpn({ initWeights: false });
    expect(model.countParams()).toBe(41_755_286);
    expect(model.countParams()).toBe(manifest.params);
    expect(model.countParams({ trainableOnly: true })).toBe(manifest.trainableParams);
    expect(getModelEntry('fasterrcnn_resnet50_fpn').reference?.params).toBe(41_755_286);
    const listing = stateDictListing(model);
    expect(listing.map(([key]) => key)).toEqual(manifest.stateDictKeys);
    expect(listing.map(([, shape]) => shape)).toEqual(manifest.stateDictShapes);
    model.dispose();
  });

  it('reports torchvision\'s 134.38 GMACs at 800x800 with 1000 proposals', async () => {
    await useBackend('wasm');
    const model = fasterrcnnResnet50Fpn({ initWeights: false });
    // Zero RPN weights: every anchor gets its level's bias, so the proposals are the anchors themselves, whatever the input.
    const dict = deterministicStateDict(model, 0);
    for (const name of ['rpn.head.cls_logits.weight', 'rpn.head.bbox_pred.weight']) (dict.get(name)!.data as Float32Array).fill(0);
    model.loadStateDict(dict);
    const s = summary(model, [1, 800, 800, 3]);
    expect(s.layers.find((l) => l.name === 'roi_heads.box_head.fc6')!.outputShape[0]).toBe(1000);
    expect(s.totalParams).toBe(41_755_286);
    expect((s.macs / 1e9).toFixed(2)).toBe(getModelEntry('fasterrcnn_resnet50_fpn').reference!.gmacs!.toFixed(2));
    model.dispose();
  }, 300_000);
});

const backends = await testBackends();

// Each test here computes for tens of seconds without giving the event loop a turn (cpu and wasm reads resolve
// as microtasks); a macrotask between tests lets vitest's worker answer its runner before its 60 s RPC timeout.
afterEach(() => new Promise((resolve) => setTimeout(resolve, 0)));

describe.each(backends)('fasterrcnn_resnet50_fpn equals torchvision 0.14 (%s)', (backend) => {
  it('transform batch, RPN proposals, and boxes, scores and labels to 1e-4, same count and order; no leaked tensors', async () => {
    await useBackend(backend);
    const model = seededModel();
    const before = tf.memory().numTensors;
    const steps = await model.detectSteps(images);
    expect(tf.memory().numTensors).toBe(before);
    const errors: Record<string, number> = {};
    const track = (what: string, actual: ArrayLike<number>, expected: ArrayLike<number>) => {
      const c = closeness(actual, expected);
      errors[what] = Math.max(errors[what] ?? 0, c.maxRelativeError);
      expect(c.maxRelativeError, what).toBeLessThan(1e-4);
    };

    const [n, h, w, c] = steps.batch.shape;
    expect([n, c, h, w]).toEqual(manifest.batchShape);
    const expectedBatch = npy('fasterrcnn.batch');
    const [, , sh, sw] = expectedBatch.shape as [number, number, number, number];
    const sampled = new Float32Array(n * c * sh * sw);
    for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < sh; y++) for (let x = 0; x < sw; x++) {
      sampled[((b * c + ch) * sh + y) * sw + x] = steps.batch.data[((b * h + 4 * y) * w + 4 * x) * c + ch]!;
    }
    track('batch', sampled, toFloat32Array(expectedBatch));

    for (let i = 0; i < images.length; i++) {
      const proposals = toFloat32Array(npy(`fasterrcnn.proposals.${i}`));
      expect(steps.proposals[i]!.length / 4, `image ${i} proposals`).toBe(manifest.numProposals[i]);
      track('proposals', steps.proposals[i]!, proposals);
      const d = steps.detections[i]!;
      expect(d.labels.length, `image ${i} detections`).toBe(manifest.numDetections[i]);
      expect(manifest.numDetections[i]).toBeGreaterThan(0);
      expect(Array.from(d.labels), `image ${i} labels`).toEqual(Array.from(npy(`fasterrcnn.labels.${i}`).data as Int32Array, (l) => l - 1));
      track('boxes', d.boxes, toFloat32Array(npy(`fasterrcnn.boxes.${i}`)));
      track('scores', d.scores, toFloat32Array(npy(`fasterrcnn.scores.${i}`)));
    }
    console.info(`fasterrcnn_resnet50_fpn vs torchvision (${backend}): max relative error ${Object.entries(errors).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}; `
      + `proposals ${manifest.numProposals.join('/')}, detections ${manifest.numDetections.join('/')}`);
    model.dispose();
  }, 300_000);
});

// Not on cpu: tfjs-backend-cpu's convolution gradients are plain JavaScript loops.
describe.each(backends.filter((b) => b !== 'cpu'))('fasterrcnn_resnet50_fpn training step (%s)', (backend) => {
  it('computes both stages\' losses, trains only layer2..layer4 and the heads, and leaks no tensors', async () => {
    await useBackend(backend);
    const samples = syntheticShapes({ count: 2, size: 128, seed: 4 });
    const model = fasterrcnnResnet50Fpn({ numClasses: 4, transform: { minSize: 128, maxSize: 128 } });
    const x = imagesToTensor(samples.map((s) => s.image));
    const optimizer = tf.train.sgd(1e-3);
    model.train();
    const before = tf.memory().numTensors;
    const [rpn, heads] = tf.tidy(() => {
      const { rpn: r, roiHeads: h } = model.loss(x, samples);
      return [r.dataSync()[0]!, h.dataSync()[0]!];
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(rpn).toBeGreaterThan(0);
    expect(heads).toBeGreaterThan(0);
    const weight = (name: string) => model.namedParameters().find(([n]) => n === name)![1];
    const watched = ['backbone.body.conv1.weight', 'backbone.body.layer1.0.conv1.weight', 'backbone.body.layer2.0.conv1.weight', 'rpn.head.conv.0.0.weight', 'roi_heads.box_head.fc7.weight'];
    const start = await Promise.all(watched.map((n) => weight(n).data()));
    const loss = await trainStep(model, optimizer, () => totalLoss(model.loss(x, samples)));
    expect(Number.isFinite(loss) && loss > 0).toBe(true);
    const end = await Promise.all(watched.map((n) => weight(n).data()));
    const changed = watched.map((_, i) => Array.prototype.some.call(end[i]!, (v: number, j: number) => v !== start[i]![j]));
    expect(changed).toEqual([false, false, true, true, true]);
    expect(tf.memory().numTensors).toBe(before);
    console.info(`fasterrcnn_resnet50_fpn (${backend}) at 128x128: rpn loss ${rpn.toFixed(4)}, box head loss ${heads.toFixed(4)}`);
    optimizer.dispose();
    x.dispose();
    model.dispose();
  }, 300_000);
});
