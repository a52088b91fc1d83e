import { applyPreprocessing, listModels } from '@convkit/core';
import { describe, expect, it } from 'vitest';
import { IMAGENET_CATEGORIES } from './imagenet-categories.js';
import './index.js';

/**
 * Every registered classifier carries what torchvision's Weights carry beside the builder: its evaluation
 * transform, which must turn any photo into exactly the input it is published at, and one class name per output.
 */
describe.each(listModels({ task: 'classification' }).map((e) => [e.name, e] as const))('%s registry metadata', (_name, entry) => {
  it('declares preprocessing that gives its published input from a landscape and a portrait image', () => {
    expect(entry.preprocessing).toBeDefined();
    for (const [width, height] of [[61, 40], [30, 47]] as const) {
      const out = applyPreprocessing(entry.preprocessing!, { width, height, data: new Uint8Array(width * height * 3).fill(128) });
      expect([out.height, out.width, out.channels]).toEqual(entry.inputShape);
    }
  });

  it('names its classes', () => {
    expect(entry.categories).toHaveLength(entry.numClasses);
    expect(new Set(entry.categories).size).toBe(entry.numClasses);
  });
});

it("holds torchvision's 1,000 ImageNet class names", () => {
  expect(IMAGENET_CATEGORIES).toHaveLength(1000);
  expect([IMAGENET_CATEGORIES[0], IMAGENET_CATEGORIES[281], IMAGENET_CATEGORIES[999]]).toEqual(['tench', 'tabby', 'toilet tissue']);
});
