import { IMAGENET_MEAN, IMAGENET_STD, type Preprocessing } from '@convkit/core';
import { IMAGENET_CATEGORIES } from './imagenet-categories.js';

/**
 * The registry metadata of a classifier trained on ImageNet-1k: torchvision's ImageClassification
 * transform (shorter side to 256, centre crop 224, ImageNet mean and std), scaled to a model published
 * at `side` pixels (the paper's AlexNet at 227 resizes to 259), and ImageNet's class names.
 */
export function imagenetEval(side: number): { preprocessing: Preprocessing; categories: readonly string[] } {
  return {
    preprocessing: { colour: 'rgb', resize: Math.round((side * 256) / 224), crop: [side, side], mean: IMAGENET_MEAN, std: IMAGENET_STD },
    categories: IMAGENET_CATEGORIES,
  };
}
