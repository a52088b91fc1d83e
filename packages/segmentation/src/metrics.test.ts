import { readFileSync } from 'node:fs';
import { readNpy } from '@convkit/core';
import { describe, expect, it } from 'vitest';
import { confusionMatrix, meanIoU, perClassIoU, pixelAccuracy } from './metrics.js';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const npy = (name: string) => readNpy(new Uint8Array(readFileSync(fixture(`${name}.npy`))));

describe('segmentation metrics', () => {
  // 3 classes, 8 pixels, one ignored (255):
  //   target      0 0 1 1 2 2 255 1
  //   prediction  0 1 1 1 2 0 2   2
  const target = [0, 0, 1, 1, 2, 2, 255, 1];
  const prediction = [0, 1, 1, 1, 2, 0, 2, 2];
  const options = { numClasses: 3 };

  it('counts by hand', () => {
    expect(Array.from(confusionMatrix(target, prediction, options))).toEqual([1, 1, 0, 0, 2, 1, 1, 0, 1]);
    expect(pixelAccuracy(target, prediction, options)).toBeCloseTo(4 / 7, 12);
    // IoU: class 0 = 1 / (2 + 2 - 1), class 1 = 2 / (3 + 3 - 2), class 2 = 1 / (2 + 2 - 1).
    expect(perClassIoU(target, prediction, options)).toEqual([1 / 3, 2 / 4, 1 / 3]);
    expect(meanIoU(target, prediction, options)).toBeCloseTo((1 / 3 + 1 / 2 + 1 / 3) / 3, 12);
  });

  it('honours another ignore index, and leaves absent classes out of the mean', () => {
    expect(pixelAccuracy([0, 1, -1], [0, 0, 1], { numClasses: 2, ignoreIndex: -1 })).toBe(0.5);
    const ious = perClassIoU([0, 0, 1], [0, 0, 1], { numClasses: 4 });
    expect(ious.slice(0, 2)).toEqual([1, 1]);
    expect(ious.slice(2).every(Number.isNaN)).toBe(true);
    expect(meanIoU([0, 0, 1], [0, 0, 1], { numClasses: 4 })).toBe(1);
  });

  it("equals sklearn's confusion_matrix and the IoUs derived from it", () => {
    const t = readNpy(new Uint8Array(readFileSync(fixture('metrics.target.npy')))).data as Int32Array;
    const p = npy('metrics.prediction').data as Int32Array;
    const manifest = JSON.parse(readFileSync(fixture('manifest.json'), 'utf8')).metrics;
    const o = { numClasses: manifest.numClasses, ignoreIndex: manifest.ignoreIndex };
    expect(Array.from(confusionMatrix(t, p, o))).toEqual(Array.from(npy('metrics.confusion').data as Float64Array));
    expect(pixelAccuracy(t, p, o)).toBeCloseTo(manifest.pixelAccuracy, 12);
    perClassIoU(t, p, o).forEach((v, c) => expect(v).toBeCloseTo(manifest.perClassIoU[c], 12));
    expect(meanIoU(t, p, o)).toBeCloseTo(manifest.meanIoU, 12);
  });

  it('rejects labels outside the classes', () => {
    expect(() => confusionMatrix([0, 3], [0, 0], { numClasses: 3 })).toThrow(/target pixel 1 has label 3/);
    expect(() => confusionMatrix([0, 1], [0, 7], { numClasses: 3 })).toThrow(/prediction pixel 1 has class 7/);
    expect(() => confusionMatrix([0], [0, 1], { numClasses: 3 })).toThrow(/1 pixels, prediction 2/);
  });
});
