import * as tf from '@tensorflow/tfjs-core';
import { type ModelEntry, type ModelSummary, listModels, metaSummary, onMetaBackend, summary, useBackend } from '@convkit/core';
import '@convkit/backend-wasm';
import '@convkit/classifiers';
import '@convkit/detection';
import '@convkit/segmentation';
import { beforeAll, describe, expect, it } from 'vitest';
import { convkit } from '../../test/run-cli.js';

const MB = 2 ** 20;
const entries = listModels();
const input = (entry: ModelEntry, side = entry.inputShape.slice(0, 2)) => [1, ...side, entry.inputShape[2]];

// Every model up to 30M parameters (all families but VGG, the VGG FCNs, YOLO v1 and the large Faster
// R-CNNs, whose layers these share) is compared with the model built with weights: at the published
// input where that costs under 3 GMACs, else at the smallest input the model takes.
const compared: { entry: ModelEntry; counted: ModelSummary }[] = [];
for (const entry of entries) compared.push({ entry, counted: await metaSummary(entry.create, input(entry)) });

describe('summaries of models built on the meta backend', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it.each(entries.map((e) => [e.name, e] as const))('%s: no values allocated', async (_, entry) => {
    const before = tf.memory();
    const heap = process.memoryUsage();
    const grown = await onMetaBackend(() => {
      const model = entry.create();
      try {
        summary(model, input(entry));
        const now = process.memoryUsage();
        return { arrayBuffers: now.arrayBuffers - heap.arrayBuffers, heapUsed: now.heapUsed - heap.heapUsed };
      } finally {
        model.dispose();
      }
    });
    // With its model and summary alive: VGG's weights alone would be 550 MB. What remains is host
    // arithmetic such as FCN's bilinear kernels (7 MB) and the FPN's anchors.
    expect(grown.arrayBuffers).toBeLessThan(48 * MB);
    expect(grown.heapUsed).toBeLessThan(96 * MB);
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });

  it.each(compared.filter((c) => c.counted.totalParams < 30e6).map((c) => [c.entry.name, c] as const))('%s: the table of the model with weights', async (_, { entry, counted }) => {
    const shape = counted.macs < 3e9 ? input(entry) : input(entry, [entry.minInputSize, entry.minInputSize]);
    const model = entry.create();
    try {
      expect(await metaSummary(entry.create, shape)).toEqual(summary(model, shape));
    } finally {
      model.dispose();
    }
  });
});

describe('convkit summary', () => {
  it('prints vgg16 without building its weights', async () => {
    const r = await convkit('summary', 'vgg16', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ totalParams: 138_357_544, macs: 15_470_264_320 });
    // Built with weights it peaked at 1,045 MiB.
    expect(r.peakRssMiB).toBeLessThan(300);
  });
});
