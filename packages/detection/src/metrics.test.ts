import { describe, expect, it } from 'vitest';
import { averagePrecision, evaluateDetections, type Detections } from './metrics.js';

const dets = (boxes: number[][], scores: number[], labels: number[]): Detections => ({
  boxes: Float32Array.from(boxes.flat()), scores: Float32Array.from(scores), labels: Int32Array.from(labels),
});

describe('VOC mAP@0.5 against hand-computed cases', () => {
  it('ranks, matches once per ground truth and interpolates over all points', () => {
    // Ground truth, class 0: A = [0, 0, 10, 10] and B = [20, 20, 30, 30].
    // By score: 0.9 on A (TP); 0.8 far away (FP); 0.7 on B moved 1 px, IoU 90 / 110 = 0.818 (TP);
    // 0.6 on A again (FP, A is taken). Recall .5 .5 1 1, precision 1 .5 2/3 .5.
    // Envelope from the right: 1 1 2/3 2/3 .5; AP = (.5 - 0) * 1 + (1 - .5) * 2/3 = 5/6.
    const prediction = dets([[50, 50, 60, 60], [0, 0, 10, 10], [0, 0, 10, 10], [21, 20, 31, 30]], [0.8, 0.9, 0.6, 0.7], [0, 0, 0, 0]);
    const truth = { boxes: [0, 0, 10, 10, 20, 20, 30, 30], labels: [0, 0] };
    const result = evaluateDetections([prediction], [truth], { numClasses: 1 });
    expect(result.ap[0]).toBeCloseTo(5 / 6, 12);
    expect(result.counts[0]).toEqual([2, 2, 2]);
  });

  it('leaves classes without ground truth out of the mean and scores missed classes 0', () => {
    // Class 0 as above in image 0 (AP 5/6); class 1 has no ground truth but a detection (AP NaN, not
    // averaged); class 2 has one ground truth in image 1 and no detection (AP 0): mAP = (5/6 + 0) / 2.
    const image0 = dets([[50, 50, 60, 60], [0, 0, 10, 10], [0, 0, 10, 10], [21, 20, 31, 30], [5, 5, 9, 9]], [0.8, 0.9, 0.6, 0.7, 0.99], [0, 0, 0, 0, 1]);
    const image1 = dets([], [], []);
    const result = evaluateDetections([image0, image1], [
      { boxes: [0, 0, 10, 10, 20, 20, 30, 30], labels: [0, 0] },
      { boxes: [1, 1, 5, 5], labels: [2] },
    ], { numClasses: 3 });
    expect(result.ap[1]).toBeNaN();
    expect(result.ap[2]).toBe(0);
    expect(result.map).toBeCloseTo(5 / 12, 12);
  });

  it('needs IoU strictly above the threshold, ignores difficult boxes and drops NaN scores', () => {
    // [0, 0, 10, 5] against [0, 0, 10, 10]: IoU 50 / 100 = 0.5, not > 0.5: a false positive.
    const half = evaluateDetections([dets([[0, 0, 10, 5]], [1], [0])], [{ boxes: [0, 0, 10, 10], labels: [0] }], { numClasses: 1 });
    expect(half.ap[0]).toBe(0);
    expect(half.counts[0]).toEqual([0, 1, 1]);
    // A detection on a difficult box counts as nothing; a NaN score is dropped: only the 0.5 detection on
    // the ordinary box remains, recall 1 at precision 1: AP 1.
    const result = evaluateDetections(
      [dets([[0, 0, 10, 10], [20, 20, 30, 30], [40, 40, 50, 50]], [0.9, 0.5, NaN], [0, 0, 0])],
      [{ boxes: [0, 0, 10, 10, 20, 20, 30, 30], labels: [0, 0], difficult: [true, false] }],
      { numClasses: 1 },
    );
    expect(result.ap[0]).toBe(1);
    expect(result.counts[0]).toEqual([1, 0, 1]);
  });

  it('defines the empty cases', () => {
    expect(evaluateDetections([], [], { numClasses: 2 }).map).toBeNaN();
    expect(averagePrecision([], [])).toBe(0);
    // Zero-area and NaN boxes match nothing and do not throw.
    const result = evaluateDetections([dets([[3, 3, 3, 3], [NaN, 0, 1, 1]], [0.9, 0.8], [0, 0])], [{ boxes: [3, 3, 3, 3], labels: [0] }], { numClasses: 1 });
    expect(result.ap[0]).toBe(0);
    expect(() => evaluateDetections([], [{ boxes: [], labels: [] }], { numClasses: 1 })).toThrow(/one prediction per image/);
  });
});
