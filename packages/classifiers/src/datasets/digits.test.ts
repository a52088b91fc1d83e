import { describe, expect, it } from 'vitest';
import { loadDigits, splitDigits } from './digits.js';

describe('digits', () => {
  it('loads scikit-learn\'s 1,797 images as [N, 8, 8, 1] floats in 0..1 with labels 0..9', async () => {
    const d = await loadDigits();
    expect(d.count).toBe(1797);
    expect(d.images.length).toBe(1797 * 64);
    expect(Math.min(...d.images)).toBe(0);
    expect(Math.max(...d.images)).toBe(1);
    const perClass = new Array(10).fill(0);
    for (const label of d.labels) perClass[label]++;
    expect(perClass).toEqual([178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    // The first image is a 0: sklearn's digits.images[0][0] is [0, 0, 5, 13, 9, 1, 0, 0].
    expect(Array.from(d.images.subarray(0, 8), (v) => v * 16)).toEqual([0, 0, 5, 13, 9, 1, 0, 0]);
    expect(d.labels[0]).toBe(0);
  });

  it('splits every fifth image off for testing: 1,438 train, 359 test', async () => {
    const d = await loadDigits();
    const { train, test } = splitDigits(d);
    expect([train.count, test.count]).toEqual([1438, 359]);
    expect(Array.from(test.images.subarray(0, 64))).toEqual(Array.from(d.images.subarray(4 * 64, 5 * 64)));
    expect(test.labels[0]).toBe(d.labels[4]);
    expect(Array.from(train.images.subarray(4 * 64, 5 * 64))).toEqual(Array.from(d.images.subarray(5 * 64, 6 * 64)));
    const testPerClass = new Array(10).fill(0);
    for (const label of test.labels) testPerClass[label]++;
    expect(testPerClass).toEqual([27, 21, 34, 52, 34, 28, 31, 43, 47, 42]);
  });
});
