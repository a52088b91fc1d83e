import * as tf from '@tensorflow/tfjs-core';
import { testBackends, useBackend } from '@convkit/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { vocColormap } from './colormap.js';
import { FCNTiny } from './fcn/fcn-tiny.js';
import { argmaxClassMap, classProbabilities, colorizeMask, overlayMask, predictSegmentation, probabilityHeatmap } from './predict.js';

describe('PASCAL VOC colour map', () => {
  it("has VOCdevkit's colours", () => {
    const map = vocColormap();
    const rgb = (c: number) => Array.from(map.subarray(c * 3, c * 3 + 3));
    expect(rgb(0)).toEqual([0, 0, 0]);
    expect(rgb(1)).toEqual([128, 0, 0]);
    expect(rgb(2)).toEqual([0, 128, 0]);
    expect(rgb(3)).toEqual([128, 128, 0]);
    expect(rgb(15)).toEqual([192, 128, 128]);
    expect(rgb(20)).toEqual([0, 64, 128]);
    expect(rgb(255)).toEqual([224, 224, 192]);
  });
});

describe('RGBA pictures', () => {
  it('colours a mask, overlays it on an image and draws heat maps', () => {
    expect(Array.from(colorizeMask([0, 1]))).toEqual([0, 0, 0, 255, 128, 0, 0, 255]);
    expect(() => colorizeMask([300])).toThrow(/class 300/);
    const image = { data: new Uint8Array([100, 100, 100, 0, 0, 0]), height: 1, width: 2 };
    expect(Array.from(overlayMask(image, [0, 1]))).toEqual([100, 100, 100, 255, 64, 0, 0, 255]);
    const heat = probabilityHeatmap(new Float32Array([1, 0, 0, 1]), 2, 0);
    expect(Array.from(heat)).toEqual([255, 255, 255, 255, 0, 0, 0, 255]);
  });
});

const backends = await testBackends();

describe.each(backends)('prediction on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('argmax and softmax over the class axis', async () => {
    const logits = tf.tensor4d([1, 3, 2, 5, 0, 0], [1, 1, 2, 3]);
    expect(Array.from(await argmaxClassMap(logits).data())).toEqual([1, 0]);
    const p = await classProbabilities(logits).data();
    expect(p[0]! + p[1]! + p[2]!).toBeCloseTo(1, 6);
    logits.dispose();
  });

  it('predicts a class map and probabilities for an RGB image, leaving the model in its mode', async () => {
    const model = new FCNTiny({ numClasses: 3, widths: [4, 4, 4] });
    const image = { data: new Uint8Array(9 * 11 * 3).fill(128), height: 9, width: 11 };
    const before = tf.memory().numTensors;
    const result = await predictSegmentation(model, image);
    expect(tf.memory().numTensors).toBe(before);
    expect(model.training).toBe(true);
    expect(result.classMap.length).toBe(99);
    expect(result.probabilities.length).toBe(99 * 3);
    model.dispose();
  });
});
