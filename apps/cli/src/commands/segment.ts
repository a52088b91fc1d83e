import { resolve } from 'node:path';
import { type ModelEntry, StateDictError, type StateDict, fuseForInference, listModels, preprocess, torchShape } from '@convkit/core';
import { type Prediction, colorizeMask, isSegmenter, overlayMask, probabilityHeatmap } from '@convkit/segmentation';
import { CliError, ExitCode } from '../cli-error.js';
import { checkOutputFile, writeOutputFiles } from '../files.js';
import { readWeights } from '../weights.js';
import { encodePng, parseMegapixels, readImage } from '../images.js';
import { checkForwardFits, segmentTrace } from '../forward-memory.js';
import { integerOption } from '../option-values.js';
import { selectBackend } from '../setup.js';
import { lookupModel } from '../lookup-model.js';
import { classesOf, escapeControl } from './classify.js';

export interface SegmentOptions {
  model: string;
  weights?: string;
  /** The colour-coded class mask (PASCAL VOC colours), PNG. */
  out: string;
  /** Also the mask blended over the image, PNG. */
  overlay?: string;
  /** Also one class's probability as a heat map, PNG. */
  heatmap?: string;
  /** The class of --heatmap; default the most frequent predicted class other than background (0). */
  heatmapClass?: string;
  /** Build the model for this many classes (weights trained for another class count); default the weights file's class names, else the model's. */
  numClasses?: string;
  /** Refuse images of more megapixels than this (default 100). */
  maxMegapixels?: string;
  backend?: string;
  /** false (--no-fuse): every layer on its own, without fuseForInference. */
  fuse?: boolean;
}

/**
 * `convkit segment <image> --model <name> [--weights file] --out mask.png [--overlay overlay.png]
 * [--heatmap heat.png [--heatmap-class c]] [--num-classes n]`: decodes a PNG or JPEG, feeds it through the
 * model's registered evaluation transform (`preprocess`: fcn_resnet50's shorter side to 520 and ImageNet's
 * mean and std, fcn_tiny's x - 0.5), runs the model in eval mode, resizes its logits back to the image and
 * writes the per-pixel classes as a colour-coded PNG (PASCAL VOC colours). Classes are named by the weights
 * file's metadata, else the registry entry's categories. Every check (output paths, image, size, weights)
 * comes before any work, and the outputs are all written or none is.
 */
export async function segmentCommand(image: string, options: SegmentOptions): Promise<void> {
  const entry = lookupModel(options.model);
  if (entry.task !== 'segmentation') {
    throw new CliError(`${entry.name} is a ${entry.task} model; segment takes one of: ${listModels({ task: 'segmentation' }).map((e) => e.name).join(', ')}`);
  }
  if (!entry.preprocessing) throw new CliError(`${entry.name} declares no preprocessing in the model registry, so segment cannot tell how to feed it an image`);
  const numClassesOption = options.numClasses === undefined ? undefined : integerOption(options.numClasses, '--num-classes', 1, MAX_CLASSES);
  const heatmapClass = options.heatmapClass === undefined ? null : integerOption(options.heatmapClass, '--heatmap-class', 0);
  const checkHeatmapClass = (numClasses: number) => {
    if (heatmapClass !== null && heatmapClass >= numClasses) throw new CliError(`--heatmap-class ${heatmapClass} is not one of the model's ${numClasses} classes (0 to ${numClasses - 1})`, ExitCode.usage);
  };
  checkHeatmapClass(numClassesOption ?? entry.numClasses);
  const outputs = [['--out', options.out], ['--overlay', options.overlay], ['--heatmap', options.heatmap]].filter((o): o is [string, string] => !!o[1]);
  for (const [option, path] of outputs) await checkOutputFile(path, option);
  for (const [i, [option, path]] of outputs.entries()) {
    const same = outputs.findIndex(([, p]) => resolve(p) === resolve(path));
    if (same < i) throw new CliError(`${outputs[same]![0]} and ${option} are the same file '${path}'; give each its own`, ExitCode.usage);
  }
  const picture = await readImage(image, parseMegapixels(options.maxMegapixels), (size) => checkForwardFits(entry, image, size, segmentTrace(entry, () => entry.create({ numClasses: numClassesOption ?? entry.numClasses }))));
  if (picture.height < entry.minInputSize || picture.width < entry.minInputSize) {
    throw new CliError(`${entry.name} needs an image of at least ${entry.minInputSize}x${entry.minInputSize} pixels; '${image}' is ${picture.width}x${picture.height}`);
  }
  const weights = options.weights ? await readWeights(options.weights) : null;
  const metadataClasses = weights ? classesOf(weights.metadata, options.weights!) : null;
  const numClasses = numClassesOption ?? metadataClasses?.length ?? entry.numClasses;
  checkHeatmapClass(numClasses);
  const names = [metadataClasses, entry.categories].find((c) => c?.length === numClasses) ?? null;
  await selectBackend(options.backend);
  const model = entry.create({ numClasses });
  let prediction: Prediction;
  try {
    if (weights) loadWeights(model, weights.tensors, entry, numClasses, options.weights!);
    model.eval();
    if (options.fuse !== false) fuseForInference(model);
    if (!isSegmenter(model)) throw new CliError(`${entry.name} has no segment() (not a Segmenter of @convkit/segmentation)`);
    const x = preprocess(entry, picture);
    try {
      prediction = (await model.segmentPreprocessed(x, [picture.height, picture.width]))[0]!;
    } finally {
      x.dispose();
    }
  } finally {
    model.dispose();
  }
  const mask = encodePng(colorizeMask(prediction.classMap), picture.width, picture.height);
  const overlay = options.overlay ? encodePng(overlayMask(picture, prediction.classMap), picture.width, picture.height) : null;
  const counts = new Map<number, number>();
  for (const c of prediction.classMap) counts.set(c, (counts.get(c) ?? 0) + 1);
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const heatClass = heatmapClass ?? ranked.find(([c]) => c !== 0)?.[0] ?? 0;
  const heatmap = options.heatmap ? encodePng(probabilityHeatmap(prediction.probabilities, prediction.numClasses, heatClass), picture.width, picture.height) : null;
  const written = [[options.out, mask], [options.overlay, overlay], [options.heatmap, heatmap]].filter((w): w is [string, Uint8Array] => !!w[0] && !!w[1]);
  await writeOutputFiles(written);
  const className = (c: number) => (names ? `${escapeControl(names[c]!)} (class ${c})` : `class ${c}`);
  const share = ranked.map(([c, n]) => `${className(c)} ${((100 * n) / prediction.classMap.length).toFixed(1)}%`);
  console.error(`wrote ${written.map(([p]) => p).join(', ')}${heatmap ? ` (heat map of ${className(heatClass)})` : ''}: ${picture.width}x${picture.height}, ${share.join(', ')}`);
}

/** More than any segmentation data set has (ADE20K's 150, COCO-Stuff's 182); a head that wide takes gigabytes. */
const MAX_CLASSES = 1000;

/** Loads weights; a file for another class count gets an error that says so and what to pass. */
function loadWeights(model: ReturnType<ModelEntry['create']>, weights: StateDict, entry: ModelEntry, numClasses: number, path: string): void {
  try {
    model.loadStateDict(weights);
  } catch (error) {
    if (!(error instanceof StateDictError)) throw error;
    const layouts = new Map(model.namedParameterLayouts());
    const shapes = new Map(model.namedParameters().map(([name, v]) => [name, torchShape(v.shape, layouts.get(name) ?? 'plain')]));
    for (const key of error.mismatchedKeys) {
      const want = shapes.get(key);
      const got = weights.get(key)?.shape;
      if (!want || !got || want.length !== got.length) continue;
      const differing = want.map((d, i) => (d !== got[i] ? i : -1)).filter((i) => i >= 0);
      if (differing.length === 1 && want[differing[0]!] === numClasses) {
        throw new CliError(
          `weights '${path}' are for ${got[differing[0]!]} classes ('${key}' has shape [${got.join(', ')}]), ` +
            `but ${entry.name} was built for ${numClasses}; pass --num-classes ${got[differing[0]!]}`,
        );
      }
    }
    throw new CliError(`weights '${path}' do not fit ${entry.name}: ${error.message}`);
  }
}
