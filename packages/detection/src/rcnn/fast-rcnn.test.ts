import * as tf from '@tensorflow/tfjs-core';
import { deterministicStateDict } from '@convkit/core';
import { testBackends, useBackend } from '@convkit/test-utils';
import { describe, expect, it } from 'vitest';
import { shapesSplits } from '../datasets/shapes.js';
import { evaluateDetections } from '../metrics.js';
import { fastrcnnSmall, regionProposals } from './fast-rcnn.js';
import { rcnnSmall } from './rcnn.js';
import { trainDetector } from './train.js';

const backends = (await testBackends()).filter((b) => b === 'wasm');

/**
 * End to end on a few images: proposals, training, detection and evaluation all run and give defined
 * numbers. The mAP these systems reach with real training is measured by scripts/detection-report.mjs.
 */
describe.each(backends)('R-CNN and Fast R-CNN end to end (%s)', (backend) => {
  const { train, test } = shapesSplits(16, 4);
  const withProposals = train.map((s) => ({ ...s, proposals: regionProposals(s.image) }));

  it('selective search proposes boxes that cover the objects', () => {
    const recall = withProposals.map(({ boxes, proposals }) => {
      let hit = 0;
      for (let g = 0; g < boxes.length / 4; g++) {
        for (let p = 0; p < proposals.length / 4; p++) {
          const w = Math.max(0, Math.min(boxes[4 * g + 2]!, proposals[4 * p + 2]!) - Math.max(boxes[4 * g]!, proposals[4 * p]!));
          const h = Math.max(0, Math.min(boxes[4 * g + 3]!, proposals[4 * p + 3]!) - Math.max(boxes[4 * g + 1]!, proposals[4 * p + 1]!));
          const union = (boxes[4 * g + 2]! - boxes[4 * g]!) * (boxes[4 * g + 3]! - boxes[4 * g + 1]!) + (proposals[4 * p + 2]! - proposals[4 * p]!) * (proposals[4 * p + 3]! - proposals[4 * p + 1]!) - w * h;
          if ((w * h) / union >= 0.5) {
            hit++;
            break;
          }
        }
      }
      return hit / (boxes.length / 4);
    });
    expect(recall.reduce((a, b) => a + b, 0) / recall.length).toBeGreaterThan(0.5);
    expect(regionProposals({ data: new Uint8Array(0), height: 0, width: 0 }).length).toBe(0);
  });

  it('Fast R-CNN trains, detects, and gives no detections without proposals', async () => {
    await useBackend(backend);
    const model = fastrcnnSmall();
    model.loadStateDict(deterministicStateDict(model, 5));
    const losses = await trainDetector(model, withProposals, { epochs: 2, batchSize: 4, learningRate: 2e-3 });
    expect(losses.every(Number.isFinite)).toBe(true);
    const before = tf.memory().numTensors;
    const detections = await model.detect(test.map((s) => s.image));
    expect(tf.memory().numTensors).toBe(before);
    expect(Number.isFinite(evaluateDetections(detections, test, { numClasses: 3 }).map)).toBe(true);
    const none = await model.detect([test[0]!.image], { proposals: [new Float32Array(0)] });
    expect(none[0]!.labels.length).toBe(0);
    model.dispose();
  }, 120_000);

  it('R-CNN fine-tunes its CNN, trains hinge-loss SVMs and regressors, and detects', async () => {
    await useBackend(backend);
    const model = rcnnSmall();
    model.loadStateDict(deterministicStateDict(model, 6));
    await model.fit(withProposals, { epochs: 1, cropsPerImage: 16 });
    const detections = await model.detect(test.map((s) => s.image));
    expect(detections.length).toBe(test.length);
    expect(Number.isFinite(evaluateDetections(detections, test, { numClasses: 3 }).map)).toBe(true);
    expect((await model.detect([test[0]!.image], { proposals: [new Float32Array(0)] }))[0]!.labels.length).toBe(0);
    model.dispose();
  }, 120_000);

  it('R-CNN searches the whole image at its own size and warps each proposal to 24x24', async () => {
    await useBackend(backend);
    const model = rcnnSmall();
    const image = test[0]!.image;
    const seen: { image: number[]; crops: number[]; maxCoordinate: number }[] = [];
    const crops = model.crops.bind(model);
    model.crops = (x, boxes) => {
      const out = crops(x, boxes);
      seen.push({ image: x.shape, crops: out.shape, maxCoordinate: Math.max(...boxes) });
      return out;
    };
    await model.detect([image]);
    const proposals = regionProposals(image);
    expect(seen).toEqual([{ image: [1, 64, 64, 3], crops: [proposals.length / 4, 24, 24, 3], maxCoordinate: Math.max(...proposals) }]);
    expect(Math.max(...proposals)).toBeGreaterThan(24);
    model.dispose();
  });
});
