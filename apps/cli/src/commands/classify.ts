import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { type ModelEntry, type StateDict, fuseForInference, readSafetensors } from '@convkit/core';
import { IMAGENET_MEAN, IMAGENET_STD } from '@convkit/segmentation';
import { CliError, ExitCode } from '../cli-error.js';
import { type RgbImage, parseMegapixels, readImage } from '../images.js';
import { selectBackend } from '../setup.js';
import { loadWeights, readWeightsFile } from '../weights.js';
import { greyToInput } from '../training/digits.js';
import { lookupModel } from './summary.js';

export interface ClassifyOptions {
  model: string;
  weights?: string;
  top: string;
  json?: boolean;
  /** Refuse images of more megapixels than this (default 100). */
  maxMegapixels?: string;
  backend?: string;
  /** false (--no-fuse): every layer on its own, without fuseForInference. */
  fuse?: boolean;
}

export interface Classification {
  image: string;
  /** Best first. */
  top: { index: number; label: string; probability: number }[];
  /** Set when a grey image was inverted to light ink on a dark ground, the way the digits are drawn. */
  inverted?: boolean;
}

/** How pixels become the model's input. */
type Preprocessing = 'imagenet' | 'digits';

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

let imagenetClasses: string[] | null = null;
function imagenetLabels(): string[] {
  imagenetClasses ??= JSON.parse(readFileSync(new URL('../../assets/imagenet-classes.json', import.meta.url), 'utf8')) as string[];
  return imagenetClasses;
}

/**
 * `convkit classify <image...> --model m [--weights f] [--top k] [--json]`: the top-k classes of each PNG
 * or JPEG. ImageNet-sized models see torchvision's evaluation transform (shorter side to 256/224 of the
 * input, centre crop, ImageNet mean and std); small models (input up to 64 pixels, such as lenet5) and
 * weights that `convkit train --data digits` wrote see the digits transform (grey, resized, light on dark).
 * Labels come from the checkpoint's metadata, else ImageNet's for 1000 classes, digits for 10.
 */
export async function classifyCommand(paths: string[], options: ClassifyOptions): Promise<void> {
  const results = await classify(paths, options);
  if (options.json) {
    console.log(JSON.stringify({ model: options.model, weights: options.weights ?? null, results }, null, 2));
    return;
  }
  for (const r of results) {
    console.log(`${r.image}${r.inverted ? ' (dark on light: inverted to light on dark, as the digits are drawn)' : ''}`);
    for (const [rank, t] of r.top.entries()) console.log(`  ${String(rank + 1).padStart(2)}. ${(100 * t.probability).toFixed(1).padStart(5)}%  ${escapeControl(t.label)}`);
  }
}

export async function classify(paths: string[], options: ClassifyOptions): Promise<Classification[]> {
  const entry = lookupModel(options.model);
  if (entry.task !== 'classification') {
    throw new CliError(`${entry.name} is a ${entry.task} model; classify takes a classifier (see 'convkit models'), or use 'convkit ${entry.task === 'detection' ? 'detect' : 'segment'}'`);
  }
  const top = Number(options.top);
  if (!Number.isInteger(top) || top < 1) throw new CliError(`--top takes a positive integer, got '${options.top}'`, ExitCode.usage);
  const maxMegapixels = parseMegapixels(options.maxMegapixels);
  const images: { path: string; image: RgbImage }[] = [];
  for (const path of paths) images.push({ path, image: await readImage(path, maxMegapixels) });
  for (const { path, image } of images) if (image.width === 0 || image.height === 0) throw new CliError(`image '${path}' has no pixels (${image.width}x${image.height})`);
  let weights: { tensors: StateDict; metadata: Record<string, string> } | null = null;
  if (options.weights) {
    try {
      weights = readSafetensors(await readWeightsFile(options.weights));
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`cannot read weights '${options.weights}': ${(error as Error).message}`);
    }
  }
  const metadataClasses = weights ? classesOf(weights.metadata, options.weights!) : null;
  const numClasses = metadataClasses?.length ?? entry.numClasses;
  const labels = metadataClasses ?? (numClasses === 1000 ? imagenetLabels() : numClasses === 10 && entry.inputShape[0] <= 64 ? DIGITS : null);
  const preprocessing: Preprocessing = weights?.metadata.data === 'digits' || entry.inputShape[0] <= 64 ? 'digits' : 'imagenet';

  await selectBackend(options.backend);
  const model = entry.create({ numClasses });
  try {
    if (weights) {
      loadWeights(model, weights.tensors, `weights '${options.weights}'`, entry.name);
    } else {
      console.error(`warning: no --weights given: ${entry.name} has random initial weights, so its classes mean nothing (no pretrained weights ship with convkit)`);
    }
    model.eval();
    if (options.fuse !== false) fuseForInference(model);
    const results: Classification[] = [];
    for (const { path, image } of images) {
      const { input, inverted } = modelInput(image, entry, preprocessing);
      const probabilities = tf.tidy(() => tf.softmax(model.call(input) as tf.Tensor2D));
      input.dispose();
      const values = (await probabilities.data()) as Float32Array;
      probabilities.dispose();
      const ranked = Array.from(values.keys()).sort((a, b) => values[b]! - values[a]! || a - b).slice(0, top);
      results.push({
        image: path,
        top: ranked.map((index) => ({ index, label: labels?.[index] ?? `class ${index}`, probability: values[index]! })),
        ...(inverted ? { inverted } : {}),
      });
    }
    return results;
  } finally {
    model.dispose();
  }
}

/** image -> [1, H, W, C] as the model expects. */
function modelInput(image: RgbImage, entry: ModelEntry, preprocessing: Preprocessing): { input: tf.Tensor4D; inverted: boolean } {
  const [height, width, channels] = entry.inputShape;
  if (preprocessing === 'digits') {
    const grey = new Float32Array(image.width * image.height);
    for (let p = 0; p < grey.length; p++) grey[p] = (0.299 * image.data[3 * p]! + 0.587 * image.data[3 * p + 1]! + 0.114 * image.data[3 * p + 2]!) / 255;
    // The digits are light strokes on black; a scan or drawing is usually dark ink on white. The border
    // is almost all background, so its brightness tells which of the two the image is.
    const inverted = borderMean(grey, image.width, image.height) > 0.5;
    if (inverted) for (let p = 0; p < grey.length; p++) grey[p] = 1 - grey[p]!;
    return { input: tf.tidy(() => greyToInput(tf.tensor4d(grey, [1, image.height, image.width, 1]), height, width, channels)), inverted };
  }
  if (channels !== 3) throw new CliError(`${entry.name} takes ${channels}-channel images; classify feeds RGB to ImageNet-sized models`);
  const input = tf.tidy(() => {
    // torchvision's Resize(256) + CenterCrop(224), scaled to this model's input side.
    const shorter = Math.round((height * 256) / 224);
    const scale = shorter / Math.min(image.height, image.width);
    const [h, w] = [Math.max(height, Math.round(image.height * scale)), Math.max(width, Math.round(image.width * scale))];
    const resized = tf.image.resizeBilinear(tf.tensor3d(image.data, [image.height, image.width, 3], 'float32'), [h, w], false, true);
    const [top, left] = [Math.floor((h - height) / 2), Math.floor((w - width) / 2)];
    const crop = tf.slice(resized, [top, left, 0], [height, width, 3]);
    const normalised = tf.div(tf.sub(tf.div(crop, 255), tf.tensor1d([...IMAGENET_MEAN])), tf.tensor1d([...IMAGENET_STD]));
    return tf.expandDims(normalised, 0) as tf.Tensor4D;
  });
  return { input, inverted: false };
}

/**
 * A label from a weights file, safe to print on a terminal: control characters (escape sequences,
 * carriage returns, bidirectional overrides) written as \\u escapes.
 */
export function escapeControl(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The class names a checkpoint of `convkit train` carries, or null for weights without them. */
function classesOf(metadata: Record<string, string>, path: string): string[] | null {
  if (metadata.classes === undefined) return null;
  try {
    const classes: unknown = JSON.parse(metadata.classes);
    if (Array.isArray(classes) && classes.every((c) => typeof c === 'string')) return classes;
  } catch {
    // Reported below with the rest.
  }
  throw new CliError(`weights '${path}' have metadata 'classes' that is not a JSON list of names: ${metadata.classes.slice(0, 80)}`);
}

function borderMean(grey: Float32Array, width: number, height: number): number {
  let sum = 0, count = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (y !== 0 && y !== height - 1 && x !== 0 && x !== width - 1) continue;
      sum += grey[y * width + x]!;
      count++;
    }
  }
  return sum / count;
}
