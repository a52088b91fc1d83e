import '@tensorflow/tfjs-backend-cpu';
import { VOC_CATEGORIES, applyPreprocessing, listModels, onMetaBackend } from '@convkit/core';
import { describe, expect, it } from 'vitest';
import { SHAPE_CLASSES } from './datasets/shapes.js';
import { isSegmenter } from './segmenter.js';
import './index.js';

/**
 * Every registered segmentation model carries what torchvision's Weights carry beside the builder: its
 * evaluation transform and one class name per output channel. numClasses counts the background, as
 * torchvision's num_classes=21 for VOC does, so the categories start with it (VOC's '__background__',
 * the shapes' 'background'). The models are built on the meta backend: no weights are allocated.
 */
describe.each(listModels({ task: 'segmentation' }).map((e) => [e.name, e] as const))('%s registry metadata', (_name, entry) => {
  it('declares RGB preprocessing that keeps the aspect of a landscape and a portrait image', () => {
    expect(entry.preprocessing?.colour).toBe('rgb');
    expect(entry.preprocessing?.crop).toBeUndefined();
    for (const [width, height] of [[61, 40], [30, 47]] as const) {
      const out = applyPreprocessing(entry.preprocessing!, { width, height, data: new Uint8Array(width * height * 3).fill(128) });
      expect(out.channels).toBe(3);
      expect(Math.abs(out.width / out.height - width / height)).toBeLessThan(0.05);
    }
  });

  it('normalises as its segment() and loss() do', async () => {
    const { normalisation, numClasses } = await onMetaBackend(() => {
      const model = entry.create();
      try {
        if (!isSegmenter(model)) throw new Error(`${entry.name} is not a Segmenter`);
        return { normalisation: model.normalisation, numClasses: model.numClasses };
      } finally {
        model.dispose();
      }
    });
    expect(numClasses).toBe(entry.numClasses);
    expect({ mean: [...entry.preprocessing!.mean], std: [...entry.preprocessing!.std] }).toEqual({ mean: [...normalisation.mean], std: [...normalisation.std] });
  });

  it('names its classes, the background first', () => {
    expect(entry.categories).toHaveLength(entry.numClasses);
    expect(new Set(entry.categories).size).toBe(entry.numClasses);
    expect(entry.categories).toEqual(entry.name === 'fcn_tiny' ? SHAPE_CLASSES : VOC_CATEGORIES);
  });
});

it("follows torchvision's fcn_resnet50 COCO_WITH_VOC_LABELS_V1 transform: the shorter side to 520", () => {
  const entry = listModels({ task: 'segmentation' }).find((e) => e.name === 'fcn_resnet50')!;
  const out = applyPreprocessing(entry.preprocessing!, { width: 61, height: 40, data: new Uint8Array(61 * 40 * 3) });
  expect([out.height, out.width]).toEqual([520, 793]);
});
