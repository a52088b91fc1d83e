import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluateCoco, type CocoDetection, type CocoGroundTruth } from './coco-eval.js';

interface ReferenceCase {
  name: string;
  groundTruth: CocoGroundTruth;
  detections: CocoDetection[];
  expected: { stats: number[]; perCategoryAp: number[]; recall: number[] };
}
// pycocotools' cocoeval.py and coco.py, with convkit's Python port of maskApi.c's box IoU (see the script).
const reference = JSON.parse(readFileSync(new URL('./fixtures/coco-eval.json', import.meta.url), 'utf8')) as { cases: ReferenceCase[] };

// torchmetrics' detection test case (tests/detection/test_map.py, `_inputs`): boxes of COCO val2014
// images 42, 73, 74 and 133 and detections from cocoapi's results/ fake detections, with the summary
// pycocotools printed for them, quoted in that test to three decimals. Boxes are (x1, y1, x2, y2) in
// float32, as torchmetrics held them.
const preds = [
  [[[258.15, 41.29, 606.41, 285.07]], [0.236], [4]],
  [[[61.0, 22.75, 565.0, 632.42], [12.66, 3.32, 281.26, 275.23]], [0.318, 0.726], [3, 2]],
  [[[87.87, 276.25, 384.29, 379.43], [0.0, 3.66, 142.15, 316.06], [296.55, 93.96, 314.97, 152.79], [328.94, 97.05, 342.49, 122.98], [356.62, 95.47, 372.33, 147.55], [464.08, 105.09, 495.74, 146.99], [276.11, 103.84, 291.44, 150.72]], [0.546, 0.3, 0.407, 0.611, 0.335, 0.805, 0.953], [4, 1, 0, 0, 0, 0, 0]],
  [[[0.0, 2.87, 601.0, 421.52]], [0.699], [5]],
] as const;
const targets = [
  [[[214.15, 41.29, 562.41, 285.07]], [4]],
  [[[13.0, 22.75, 548.98, 632.42], [1.66, 3.32, 270.26, 275.23]], [2, 2]],
  [[[61.87, 276.25, 358.29, 379.43], [2.75, 3.66, 162.15, 316.06], [295.55, 93.96, 313.97, 152.79], [326.94, 97.05, 340.49, 122.98], [356.62, 95.47, 372.33, 147.55], [462.08, 105.09, 493.74, 146.99], [277.11, 103.84, 292.44, 150.72]], [4, 1, 0, 0, 0, 0, 0]],
  [[[13.99, 2.87, 640.0, 421.52]], [5]],
] as const;
const f = Math.fround;
const xywh = (b: readonly number[]): [number, number, number, number] => [f(b[0]!), f(b[1]!), f(b[2]!) - f(b[0]!), f(b[3]!) - f(b[1]!)];

describe('evaluateCoco', () => {
  it.each(reference.cases.map((c) => [c.name, c] as const))("equals pycocotools' COCOeval on the '%s' case (tools/fixtures/make_coco_eval_fixtures.py)", (_, c) => {
    const summary = evaluateCoco(c.groundTruth, c.detections);
    summary.stats.forEach((v, i) => expect(v).toBeCloseTo(c.expected.stats[i]!, 12));
    summary.perCategoryAp.forEach((v, i) => expect(v).toBeCloseTo(c.expected.perCategoryAp[i]!, 12));
    expect(summary.recall).toHaveLength(c.expected.recall.length);
    summary.recall.forEach((v, i) => expect(v).toBeCloseTo(c.expected.recall[i]!, 12));
  });

  it("reproduces the 12 numbers and per-class APs pycocotools printed for torchmetrics' four-image case", () => {
    let id = 1;
    const gt: CocoGroundTruth = {
      images: targets.map((_, i) => ({ id: i })),
      categories: [0, 1, 2, 3, 4, 5].map((c) => ({ id: c })),
      annotations: targets.flatMap(([boxes, labels], image) => boxes.map((b, j) => ({ id: id++, image_id: image, category_id: labels[j]!, bbox: xywh(b), iscrowd: 0 }))),
    };
    const dts = preds.flatMap(([boxes, scores, labels], image) => boxes.map((b, j) => ({ image_id: image, category_id: labels[j]!, bbox: xywh(b), score: scores[j]! })));
    const summary = evaluateCoco(gt, dts);
    const published = [0.706, 0.901, 0.846, 0.689, 0.8, 0.701, 0.592, 0.716, 0.716, 0.767, 0.8, 0.7];
    summary.stats.forEach((v, i) => expect(Math.abs(v - published[i]!)).toBeLessThanOrEqual(0.0005));
    [0.725, 0.8, 0.454, -1, 0.65, 0.9].forEach((v, k) => expect(Math.abs(summary.perCategoryAp[k]! - v)).toBeLessThanOrEqual(0.0005));
    expect([summary.ap, summary.ap50, summary.ar100]).toEqual([summary.stats[0], summary.stats[1], summary.stats[8]]);
  });

  it('counts nothing for detections on crowd regions, and -1 where nothing can be measured', () => {
    const gt: CocoGroundTruth = {
      images: [{ id: 1 }],
      categories: [{ id: 7 }, { id: 9 }],
      annotations: [
        { id: 1, image_id: 1, category_id: 7, bbox: [0, 0, 10, 10], area: 100 },
        { id: 2, image_id: 1, category_id: 7, bbox: [50, 50, 40, 40], area: 1600, iscrowd: 1 },
      ],
    };
    // A perfect detection, and three inside the crowd region (each IoU with it = 1 by the crowd rule).
    const dts = [
      { image_id: 1, category_id: 7, bbox: [0, 0, 10, 10] as [number, number, number, number], score: 0.5 },
      ...[0.9, 0.8, 0.7].map((score, i) => ({ image_id: 1, category_id: 7, bbox: [52 + i, 52, 10, 10] as [number, number, number, number], score })),
    ];
    const summary = evaluateCoco(gt, dts);
    expect(summary.ap).toBeCloseTo(1, 12);
    expect(summary.perCategoryAp).toEqual([summary.ap, -1]);
    expect([summary.apMedium, summary.apLarge]).toEqual([-1, -1]);
    expect(() => evaluateCoco(gt, [{ ...dts[0]!, image_id: 2 }])).toThrow('detection 0 is for image 2, which the ground truth does not have');
    expect(() => evaluateCoco(gt, [{ ...dts[0]!, bbox: [0, 0, 1] as unknown as [number, number, number, number] }])).toThrow('detection 0 has bbox [0,0,1]; COCO boxes are [x, y, width, height] of finite numbers');
  });
});
