import type { ModelEntry } from '@convkit/core';
import { labelNames } from '@convkit/detection';

/**
 * The names of a model's outputs by index, from its registry entry's categories: a classifier's or segmenter's
 * output channels, a detector's 0-based labels (COCO_V1's background and its ids dropped by `labelNames`).
 * Null for an entry without categories.
 */
export function classNames(entry: ModelEntry): readonly string[] | null {
  return entry.task === 'detection' ? labelNames(entry.categories) : entry.categories ?? null;
}

export const className = (names: readonly string[] | null, index: number) => names?.[index] ?? `class ${index}`;
