import '@tensorflow/tfjs-backend-cpu';
import { applyPreprocessing, listModels, onMetaBackend } from '@convkit/core';
import { describe, expect, it } from 'vitest';
import { labelNames } from './categories.js';
import { OBJECT_DETECTION_PREPROCESSING, isDetector } from './detector.js';
import './index.js';

/**
 * Every registered detector carries what torchvision's Weights carry beside the builder: its evaluation
 * transform (ObjectDetection: bytes to [0, 1], the model resizes) and its class names. The categories have
 * numClasses entries and count the background only where torchvision does: fasterrcnn_resnet50_fpn's 91 are
 * COCO_V1's, '__background__' at 0 and 'N/A' for the ids COCO skips; the others name their object classes
 * alone, by the detector's 0-based label. Either way `labelNames` gives one name per label `detect` returns.
 * The models are built on the meta backend: no weights are allocated.
 */
describe.each(listModels({ task: 'detection' }).map((e) => [e.name, e] as const))('%s registry metadata', (_name, entry) => {
  it("declares torchvision's ObjectDetection preprocessing: [0, 1], the image's own size", () => {
    expect(entry.preprocessing).toEqual(OBJECT_DETECTION_PREPROCESSING);
    const out = applyPreprocessing(entry.preprocessing!, { width: 3, height: 2, data: [0, 51, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255] });
    expect([out.height, out.width, out.channels]).toEqual([2, 3, 3]);
    expect(Array.from(out.data.subarray(0, 3))).toEqual([0, Math.fround(0.2), 1]);
  });

  it('names its classes, the background only where torchvision counts it', async () => {
    expect(entry.categories).toHaveLength(entry.numClasses);
    const background = entry.categories![0] === '__background__';
    expect(background).toBe(entry.name === 'fasterrcnn_resnet50_fpn');
    expect(labelNames(entry.categories)).toHaveLength(entry.numClasses - (background ? 1 : 0));
    const names = labelNames(entry.categories)!.filter((n) => n !== 'N/A');
    expect(new Set(names).size).toBe(names.length);
    const numClasses = await onMetaBackend(() => {
      const model = entry.create();
      try {
        if (!isDetector(model)) throw new Error(`${entry.name} is not a Detector`);
        return model.numClasses;
      } finally {
        model.dispose();
      }
    });
    expect(numClasses).toBe(entry.numClasses);
  });
});
