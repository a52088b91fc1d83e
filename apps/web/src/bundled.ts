import type { ModelEntry, Task } from '@convkit/core';
import { SHAPE_CLASSES } from '@convkit/segmentation';
import astronautUrl from '../../../assets/images/astronaut.jpg';
import chelseaUrl from '../../../assets/images/chelsea.jpg';
import coffeeUrl from '../../../assets/images/coffee.png';
import detectionTruthUrl from '../../../assets/images/shapes-detection.json?url';
import detectionSceneUrl from '../../../assets/images/shapes-detection.png';
import segmentationMaskUrl from '../../../assets/images/shapes-segmentation-mask.png';
import segmentationSceneUrl from '../../../assets/images/shapes-segmentation.png';
import fasterrcnnSmallShapesUrl from '../../../assets/weights/fasterrcnn_small-shapes.safetensors?url';
import fcnTinyShapesUrl from '../../../assets/weights/fcn_tiny-shapes.safetensors?url';
import lenet5DigitsUrl from '../../../assets/weights/lenet5-digits.safetensors?url';
import yoloTinyShapesUrl from '../../../assets/weights/yolo_tiny-shapes.safetensors?url';

/**
 * What the demo ships besides code: the small models' trained weights and the held-out scenes they were
 * evaluated on, with ground truth (all made by tools/weights/make-demo-weights.mjs, described in
 * assets/README.md), and three photos (scikit-image's, free of copyright restrictions) for the models
 * without bundled weights. Vite copies or inlines each into the build, so the page works offline.
 */

/** Ground truth of a sample: a class index, a label map (PNG, pixel value = class), or boxes (JSON). */
export type Truth =
  | { kind: 'label'; index: number }
  | { kind: 'mask'; url: string; classes: readonly string[] }
  | { kind: 'boxes'; url: string };

export interface Sample {
  id: string;
  label: string;
  url: string;
  truth?: Truth;
}

export interface BundledWeights {
  url: string;
  file: string;
  /** What the weights were trained on, for the page to say. */
  data: string;
  /** The sample the model is shown on first. */
  sample: string;
}

const digitUrls = import.meta.glob<string>('../../../assets/images/digit-*.png', { eager: true, query: '?url', import: 'default' });

const digits: Sample[] = Object.entries(digitUrls)
  .map(([path, url]) => ({ path, url, digit: Number(/digit-(\d+)\.png$/.exec(path)![1]) }))
  .sort((a, b) => a.digit - b.digit)
  .map(({ url, digit }) => ({ id: `digit-${digit}`, label: `Digit ${digit} (held-out test digit, 32x32)`, url, truth: { kind: 'label', index: digit } }));

export const SAMPLES: readonly Sample[] = [
  { id: 'chelsea', label: 'Chelsea the cat (photo)', url: chelseaUrl },
  { id: 'coffee', label: 'A cup of coffee (photo)', url: coffeeUrl },
  { id: 'astronaut', label: 'Eileen Collins, astronaut (photo)', url: astronautUrl },
  ...digits,
  { id: 'shapes-segmentation', label: 'Shapes scene for segmentation (held-out, 32x32)', url: segmentationSceneUrl, truth: { kind: 'mask', url: segmentationMaskUrl, classes: SHAPE_CLASSES } },
  { id: 'shapes-detection', label: 'Shapes scene for detection (held-out, 64x64)', url: detectionSceneUrl, truth: { kind: 'boxes', url: detectionTruthUrl } },
];

/** In order of preference: a task opens on its first model here. */
const BUNDLED: Record<string, BundledWeights> = {
  lenet5: { url: lenet5DigitsUrl, file: 'lenet5-digits.safetensors', data: "scikit-learn's 8x8 digits, upscaled to 32x32", sample: 'digit-7' },
  fcn_tiny: { url: fcnTinyShapesUrl, file: 'fcn_tiny-shapes.safetensors', data: 'the synthetic segmentation shapes (32x32)', sample: 'shapes-segmentation' },
  fasterrcnn_small: { url: fasterrcnnSmallShapesUrl, file: 'fasterrcnn_small-shapes.safetensors', data: 'the synthetic detection shapes (64x64)', sample: 'shapes-detection' },
  yolo_tiny: { url: yoloTinyShapesUrl, file: 'yolo_tiny-shapes.safetensors', data: 'the synthetic detection shapes (64x64)', sample: 'shapes-detection' },
};

const TASK_SAMPLES: Record<Task, string> = { classification: 'chelsea', segmentation: 'shapes-segmentation', detection: 'shapes-detection' };

export function bundledWeights(name: string): BundledWeights | null {
  return BUNDLED[name] ?? null;
}

/** The model a task opens on: the first of `entries` with bundled weights, else the first. */
export function defaultModel(entries: readonly ModelEntry[]): ModelEntry | undefined {
  return Object.keys(BUNDLED).map((name) => entries.find((e) => e.name === name)).find((e) => e !== undefined) ?? entries[0];
}

export function sampleById(id: string): Sample {
  const sample = SAMPLES.find((s) => s.id === id);
  if (!sample) throw new Error(`no bundled sample '${id}'; bundled: ${SAMPLES.map((s) => s.id).join(', ')}`);
  return sample;
}

/** The sample a model is shown on: the held-out data of its bundled weights, else its task's. */
export function defaultSample(entry: ModelEntry): Sample {
  return sampleById(bundledWeights(entry.name)?.sample ?? TASK_SAMPLES[entry.task]);
}

/** The test metrics the weights file records in its metadata (written by make-demo-weights.mjs). */
const METRIC_NAMES: Record<string, string> = { test_accuracy: 'test accuracy', test_mean_iou: 'test mean IoU', test_map_50: 'test mAP@0.5' };

export function recordedMetrics(metadata: Record<string, string>): string[] {
  return Object.entries(METRIC_NAMES).filter(([key]) => key in metadata).map(([key, name]) => `${name} ${metadata[key]}`);
}
