import * as tf from '@tensorflow/tfjs-core';
import { type ModelEntry, fuseForInference, preprocess } from '@convkit/core';
import { CliError, ExitCode } from '../cli-error.js';
import { type RgbImage, parseMegapixels, readImage } from '../images.js';
import { selectBackend } from '../setup.js';
import { loadWeights, readWeights } from '../weights.js';
import { lookupModel } from '../lookup-model.js';

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

/**
 * `convkit classify <image...> --model m [--weights f] [--top k] [--json]`: the top-k classes of each PNG
 * or JPEG. Each image goes through the model's registered evaluation transform (`preprocess`: for the
 * ImageNet classifiers torchvision's resize, centre crop, mean and std; for lenet5 grey 32x32). Labels
 * come from the checkpoint's metadata, else the registry entry's categories.
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
  const weights = options.weights ? await readWeights(options.weights) : null;
  const metadataClasses = weights ? classesOf(weights.metadata, options.weights!) : null;
  const numClasses = metadataClasses?.length ?? entry.numClasses;
  const labels = metadataClasses ?? (entry.categories?.length === numClasses ? entry.categories : null);
  if (!entry.preprocessing) throw new CliError(`${entry.name} declares no preprocessing in the model registry, so classify cannot tell how to feed it an image`);

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
      const { input, inverted } = modelInput(image, entry);
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

/**
 * image -> [1, H, W, C] through the entry's preprocessing. A grey model's images are inverted first when
 * they are dark on light: the digits are light strokes on black, a scan or drawing usually dark ink on
 * white, and the border, almost all background, tells which of the two an image is.
 */
function modelInput(image: RgbImage, entry: ModelEntry): { input: tf.Tensor4D; inverted: boolean } {
  const inverted = entry.preprocessing!.colour === 'grey' && borderMean(image) > 0.5;
  const pixels = inverted ? { ...image, data: image.data.map((v) => 255 - v) } : image;
  return { input: preprocess(entry, pixels), inverted };
}

/**
 * A label from a weights file, safe to print on a terminal: control characters (escape sequences,
 * carriage returns, bidirectional overrides) written as \\u escapes.
 */
export function escapeControl(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The class names a checkpoint of `convkit train` carries, or null for weights without them. */
export function classesOf(metadata: Record<string, string>, path: string): string[] | null {
  if (metadata.classes === undefined) return null;
  try {
    const classes: unknown = JSON.parse(metadata.classes);
    if (Array.isArray(classes) && classes.every((c) => typeof c === 'string')) return classes;
  } catch {
    // Reported below with the rest.
  }
  throw new CliError(`weights '${path}' have metadata 'classes' that is not a JSON list of names: ${metadata.classes.slice(0, 80)}`);
}

/** The mean luminance in [0, 1] of the image's outermost pixels. */
function borderMean({ data, width, height }: RgbImage): number {
  let sum = 0, count = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (y !== 0 && y !== height - 1 && x !== 0 && x !== width - 1) continue;
      const p = 3 * (y * width + x);
      sum += (0.2989 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!) / 255;
      count++;
    }
  }
  return sum / count;
}
