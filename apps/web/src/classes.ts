import type { ModelEntry } from '@convkit/core';
import { SHAPE_CLASSES as DETECTION_SHAPES } from '@convkit/detection';
import { SHAPE_CLASSES as SEGMENTATION_SHAPES } from '@convkit/segmentation';
import imagenetClasses from './assets/imagenet-classes.json';

/** PASCAL VOC's 20 object classes, in the order of its devkit (and of torchvision's VOC labels). */
const VOC_CLASSES = [
  'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow', 'diningtable', 'dog', 'horse',
  'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
] as const;

const DIGITS = Array.from({ length: 10 }, (_, i) => `digit ${i}`);

/**
 * The names of a model's output classes, from the data set its builder is sized for: ImageNet for the
 * 1000-way classifiers, digits for LeNet-5, PASCAL VOC for the full-size detectors and segmenters (with
 * background at 0 for segmentation), the synthetic shapes for the small ones. Null when unknown.
 */
export function classNames(entry: ModelEntry): readonly string[] | null {
  switch (entry.task) {
    case 'classification':
      if (entry.numClasses === 1000) return imagenetClasses;
      return entry.family === 'lenet' && entry.numClasses === 10 ? DIGITS : null;
    case 'segmentation':
      if (entry.numClasses === VOC_CLASSES.length + 1) return ['background', ...VOC_CLASSES];
      return entry.numClasses === SEGMENTATION_SHAPES.length ? SEGMENTATION_SHAPES : null;
    case 'detection':
      if (entry.numClasses === VOC_CLASSES.length) return VOC_CLASSES;
      return entry.numClasses === DETECTION_SHAPES.length ? DETECTION_SHAPES : null;
  }
}

export const className = (names: readonly string[] | null, index: number) => names?.[index] ?? `class ${index}`;
