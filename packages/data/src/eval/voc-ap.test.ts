import { describe, expect, it } from 'vitest';
import { evaluateVoc, vocAveragePrecision } from './voc-ap.js';

describe('evaluateVoc', () => {
  // One class, two images. Objects: A, B in image 0 (B difficult), C in image 1. Detections by score:
  // d1 on A (TP), d2 on A again (FP, already taken), d3 on B (difficult: neither), d4 on nothing (FP),
  // d5 on C (TP). Non-difficult objects: 2. Recall/precision after each counted detection:
  // d1 1/2, 1/1; d2 1/2, 1/2; d3 unchanged; d4 1/2, 1/3; d5 2/2, 2/4.
  const gts = [
    { boxes: [0, 0, 9, 9, 20, 20, 29, 29], labels: [0, 0], difficult: [0, 1] },
    { boxes: [5, 5, 14, 14], labels: [0] },
  ];
  const preds = [
    { boxes: [0, 0, 9, 9, 0, 0, 9, 8, 20, 20, 29, 29, 60, 60, 70, 70], scores: [0.9, 0.8, 0.7, 0.6], labels: [0, 0, 0, 0] },
    { boxes: [5, 5, 14, 14], scores: [0.5], labels: [0] },
  ];

  it('VOC2010+ all-points: precision made monotone, summed over recall steps', () => {
    // Monotone precision: 1 up to recall 1/2, then max(1/3, 1/2) = 1/2 up to recall 1: AP = 1/2 + 1/2 * 1/2.
    const result = evaluateVoc(preds, gts, { numClasses: 1 });
    expect(result.ap[0]).toBeCloseTo(0.75, 12);
    expect(result.counts).toEqual([[2, 2, 2]]);
  });

  it('VOC2007 11-point: the mean of the best precision at recall >= 0, 0.1, ..., 1', () => {
    // Recall >= 0 .. 0.5 (6 points): best precision 1; 0.6 .. 1 (5 points): 1/2. AP = (6 + 2.5) / 11.
    expect(evaluateVoc(preds, gts, { numClasses: 1, use07Metric: true }).ap[0]).toBeCloseTo(8.5 / 11, 12);
  });

  it("measures the devkit's inclusive pixels when asked, and leaves classes without objects out of the mean", () => {
    // [0, 0, 9, 9] against [0, 0, 9, 4]: inclusive, 10x5 of 10x10 pixels = 0.5, not > 0.5; continuous, 9x4 / 9x9 = 0.444.
    // [0, 0, 9, 4.4]: inclusive 10x5.4 / 100 = 0.54 matches, continuous 9x4.4 / 81 = 0.489 does not.
    // [0, 0, 9, 5]: continuous 9x5 / 81 = 0.556 matches.
    const gt = [{ boxes: [0, 0, 9, 9], labels: [0] }];
    const at = (y2: number) => [{ boxes: [0, 0, 9, y2], scores: [1], labels: [0] }];
    expect(evaluateVoc(at(4), gt, { numClasses: 1, inclusivePixels: true }).counts[0]).toEqual([0, 1, 1]);
    expect(evaluateVoc(at(4.4), gt, { numClasses: 1, inclusivePixels: true }).counts[0]).toEqual([1, 0, 1]);
    expect(evaluateVoc(at(4.4), gt, { numClasses: 1 }).counts[0]).toEqual([0, 1, 1]);
    const both = evaluateVoc(at(5), gt, { numClasses: 2 });
    expect(both.counts[0]).toEqual([1, 0, 1]);
    expect(both.ap[1]).toBeNaN();
    expect(both.map).toBe(1);
    expect(() => evaluateVoc([], gt, { numClasses: 1 })).toThrow('evaluateVoc needs one prediction per image, got 0 predictions for 1 images');
  });

  it('vocAveragePrecision of a perfect curve is 1 in both variants', () => {
    expect(vocAveragePrecision([0.5, 1], [1, 1])).toBe(1);
    expect(vocAveragePrecision([0.5, 1], [1, 1], true)).toBeCloseTo(1, 12);
  });
});
