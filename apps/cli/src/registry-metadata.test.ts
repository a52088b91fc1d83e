import { applyPreprocessing, listModels } from '@convkit/core';
import '@convkit/classifiers';
import '@convkit/detection';
import '@convkit/segmentation';
import { expect, it } from 'vitest';

/**
 * classify, segment and detect take how to feed a model and what its outputs are called from the registry
 * alone: every model of every package declares its evaluation transform and one name per class. How the
 * background is counted is each package's (registry-metadata.test.ts there): in numClasses and categories
 * alike where torchvision counts it (the FCNs' 21, fasterrcnn_resnet50_fpn's 91), in neither elsewhere.
 */
it.each(listModels().map((e) => [e.name, e] as const))('%s declares preprocessing and categories of numClasses', (_, entry) => {
  expect(entry.preprocessing).toBeDefined();
  const out = applyPreprocessing(entry.preprocessing!, { width: 37, height: 29, data: new Uint8Array(37 * 29 * 3).fill(200) });
  expect(out.data.every(Number.isFinite)).toBe(true);
  expect(entry.categories).toHaveLength(entry.numClasses);
});
