import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COCO_V1_CATEGORIES, VOC_CATEGORIES, labelNames } from './categories.js';

/** Written by tools/fixtures/make_detection_categories.py from torchvision 0.14. */
const fixture = JSON.parse(readFileSync(new URL('./fixtures/categories.json', import.meta.url), 'utf8')) as { coco: string[]; voc: string[] };

describe('detection categories', () => {
  it("are torchvision's _COCO_CATEGORIES and _VOC_CATEGORIES", () => {
    expect(COCO_V1_CATEGORIES).toEqual(fixture.coco);
    expect(['__background__', ...VOC_CATEGORIES]).toEqual(fixture.voc);
  });

  it('name a 0-based label as torchvision names its id (label + 1)', () => {
    const names = labelNames(COCO_V1_CATEGORIES)!;
    expect(names[0]).toBe('person');
    expect(names[11]).toBe('N/A');
    expect(names[89]).toBe('toothbrush');
    expect(labelNames(VOC_CATEGORIES)).toBe(VOC_CATEGORIES);
    expect(labelNames(undefined)).toBeNull();
  });
});
