import { describe, expect, it } from 'vitest';
import { SHAPE_CLASSES, shapesSplits, syntheticShapes } from './shapes.js';

describe('synthetic shapes data set', () => {
  it('is deterministic from its seed, with 1-4 tight boxes of 3 classes inside each image', () => {
    const a = syntheticShapes({ count: 40, seed: 3 });
    const b = syntheticShapes({ count: 40, seed: 3 });
    expect(a.map((s) => [...s.image.data.slice(0, 64), ...s.boxes])).toEqual(b.map((s) => [...s.image.data.slice(0, 64), ...s.boxes]));
    expect(syntheticShapes({ count: 1, seed: 4 })[0]!.image.data).not.toEqual(a[0]!.image.data);
    const seen = new Set<number>();
    for (const { image, boxes, labels } of a) {
      expect(image.data.length).toBe(64 * 64 * 3);
      expect(labels.length).toBeGreaterThanOrEqual(1);
      expect(labels.length).toBeLessThanOrEqual(4);
      expect(boxes.length).toBe(4 * labels.length);
      labels.forEach((l, i) => {
        seen.add(l);
        const [x1, y1, x2, y2] = boxes.subarray(4 * i, 4 * i + 4);
        expect(x1).toBeGreaterThanOrEqual(0);
        expect(y1).toBeGreaterThanOrEqual(0);
        expect(x2).toBeLessThanOrEqual(64);
        expect(y2).toBeLessThanOrEqual(64);
        expect(x2! - x1!).toBeGreaterThanOrEqual(6);
      });
    }
    expect([...seen].sort()).toEqual(SHAPE_CLASSES.map((_, i) => i));
    const { train, test } = shapesSplits(8, 4);
    expect([train.length, test.length]).toEqual([8, 4]);
  });
});
