import { fuseForInference, preprocess } from '@convkit/core';
import { type Detections, drawDetections, isDetector, labelNames } from '@convkit/detection';
import { CliError } from '../cli-error.js';
import { checkOutputFile } from '../files.js';
import { readWeights } from '../weights.js';
import { checkForwardFits, detectTrace } from '../forward-memory.js';
import { integerOption } from '../option-values.js';
import { parseMegapixels, readImage, writePng } from '../images.js';
import { selectBackend } from '../setup.js';
import { lookupModel } from '../lookup-model.js';
import { classesOf } from './classify.js';

export interface DetectOptions {
  model: string;
  weights?: string;
  /** PNG with the detections drawn. */
  out?: string;
  /** Print the detections as JSON on stdout. */
  json?: boolean;
  /** The transform's min_size and max_size, for the models that have a GeneralizedRCNNTransform. */
  minSize?: string;
  maxSize?: string;
  /** Refuse images of more megapixels than this (default 100). */
  maxMegapixels?: string;
  backend?: string;
  /** false (--no-fuse): every layer on its own, without fuseForInference. */
  fuse?: boolean;
}

/**
 * `convkit detect <image> --model <name> [--weights file] [--out boxes.png] [--json]`: runs a registered
 * detection model on one PNG or JPEG: the image through the model's registered evaluation transform
 * (`preprocess`: torchvision's ObjectDetection, bytes to [0, 1]), then its `detect` (the Detector surface):
 * each model takes the image at its own size (R-CNN's selective search and the FPN's transform) or resizes it
 * to its input, and boxes come back in the image's pixels. Labels are named by the weights file's class
 * names (a checkpoint of `convkit train`, which is also built for their count), else the model's registered
 * categories (COCO's for fasterrcnn_resnet50_fpn, where label l is torchvision's id l + 1). Without
 * --weights the model has its initial (untrained) weights, which the command warns about. An empty image or
 * an unreadable file is a bad-input error (exit 3).
 */
export async function detectCommand(imagePath: string, options: DetectOptions): Promise<void> {
  const entry = lookupModel(options.model);
  if (entry.task !== 'detection') throw new CliError(`${options.model} is a ${entry.task} model; detect needs a detection model (see 'convkit models')`);
  if (!options.out && !options.json) throw new CliError('nothing to output: give --out boxes.png, --json, or both', 2);
  if (options.out) await checkOutputFile(options.out, '--out');
  const image = await readImage(imagePath, parseMegapixels(options.maxMegapixels), (size) => checkForwardFits(entry, imagePath, size, detectTrace(entry, () => entry.create())));
  if (image.width === 0 || image.height === 0) throw new CliError(`image '${imagePath}' has no pixels (${image.width}x${image.height})`);
  const minSize = options.minSize === undefined ? undefined : integerOption(options.minSize, '--min-size', 1, 10_000);
  const maxSize = options.maxSize === undefined ? undefined : integerOption(options.maxSize, '--max-size', 1, 10_000);
  if ((minSize !== undefined || maxSize !== undefined) && entry.name !== 'fasterrcnn_resnet50_fpn') {
    throw new CliError(`--min-size and --max-size set fasterrcnn_resnet50_fpn's transform; ${entry.name} takes images as its detect() says (see docs/cli.md)`, 2);
  }
  if (!entry.preprocessing) throw new CliError(`${entry.name} declares no preprocessing in the model registry, so detect cannot tell how to feed it an image`);
  const weights = options.weights ? await readWeights(options.weights) : null;
  const metadataClasses = weights ? classesOf(weights.metadata, options.weights!) : null;
  const categories = metadataClasses ?? entry.categories;
  await selectBackend(options.backend);
  const model = entry.create({
    ...(metadataClasses ? { numClasses: metadataClasses.length } : {}),
    ...(minSize !== undefined || maxSize !== undefined ? { transform: { minSize, maxSize } } : {}),
  });
  try {
    if (weights) {
      try {
        model.loadStateDict(weights.tensors);
      } catch (error) {
        throw new CliError(`weights '${options.weights}' do not fit ${options.model}: ${(error as Error).message}`);
      }
    } else {
      console.error(`warning: no --weights given; ${options.model} runs with its untrained initial weights`);
    }
    model.eval();
    if (options.fuse !== false) fuseForInference(model);
    if (!isDetector(model)) throw new CliError(`${options.model} has no detect() (not a Detector of @convkit/detection)`);
    const started = performance.now();
    const x = preprocess(entry, image);
    let detections: Detections;
    try {
      detections = (await model.detect(x))[0]!;
    } finally {
      x.dispose();
    }
    // Boxes in the preprocessed image's pixels, which are the image's own unless the preprocessing resized.
    const [sy, sx] = [image.height / x.shape[1], image.width / x.shape[2]];
    if (sx !== 1 || sy !== 1) detections = { ...detections, boxes: detections.boxes.map((v, i) => v * (i % 2 === 0 ? sx : sy)) };
    const elapsed = performance.now() - started;
    const { boxes } = detections;
    const names = labelNames(categories) ?? [];
    // A background-first list (COCO_V1) is indexed by torchvision's id, which JSON readers of its output expect too.
    const idOffset = categories?.[0] === '__background__' ? 1 : 0;
    if (options.out) {
      const scale = Math.max(1, Math.floor(256 / Math.max(image.width, image.height)));
      await writePng(options.out, drawDetections(image, detections, { classNames: names, scale }));
      console.error(`wrote ${options.out}: ${detections.labels.length} detections in ${elapsed.toFixed(0)} ms`);
    }
    if (options.json) {
      const list = Array.from(detections.labels, (label, i) => ({
        label, ...(idOffset ? { torchvisionLabel: label + idOffset } : {}), name: names[label] ?? String(label), score: detections.scores[i], box: Array.from(boxes.subarray(4 * i, 4 * i + 4)),
      }));
      console.log(JSON.stringify({ model: options.model, image: imagePath, width: image.width, height: image.height, ms: Math.round(elapsed), detections: list }, null, 2));
    }
  } finally {
    model.dispose();
  }
}
