import * as tf from '@tensorflow/tfjs-core';
import { fuseForInference, readSafetensors } from '@convkit/core';
import {
  type Detections, FastRCNN, FasterRCNN, RCNN, SHAPE_CLASSES, Yolo, detectYolo, drawDetections,
} from '@convkit/detection';
import { CliError } from '../cli-error.js';
import { checkOutputFile } from '../files.js';
import { readWeightsFile } from '../weights.js';
import { parseMegapixels, readImage, writePng } from '../images.js';
import { selectBackend } from '../setup.js';
import { lookupModel } from './summary.js';

export interface DetectOptions {
  model: string;
  weights?: string;
  /** PNG with the detections drawn. */
  out?: string;
  /** Print the detections as JSON on stdout. */
  json?: boolean;
  /** Refuse images of more megapixels than this (default 100). */
  maxMegapixels?: string;
  backend?: string;
  /** false (--no-fuse): every layer on its own, without fuseForInference. */
  fuse?: boolean;
}

const VOC_CLASSES = [
  'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow', 'diningtable', 'dog', 'horse',
  'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
];

/** The image resized (bilinear) to side x side, as RGB bytes. */
function resized(image: { width: number; height: number; data: Uint8Array }, side: number) {
  if (image.width === side && image.height === side) return { ...image };
  const data = tf.tidy(() => {
    const x = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
    return tf.clipByValue(tf.round(tf.image.resizeBilinear(x, [side, side], true)), 0, 255).dataSync();
  });
  return { width: side, height: side, data: Uint8Array.from(data) };
}

/**
 * `convkit detect <image> --model <name> [--weights file] [--out boxes.png] [--json]`: runs a registered
 * detection model on one PNG or JPEG. The image is resized to the model's input size; boxes are mapped
 * back to the image's pixels. Without --weights the model has its initial (untrained) weights, which the
 * command warns about. An empty image or an unreadable file is a bad-input error (exit 3).
 */
export async function detectCommand(imagePath: string, options: DetectOptions): Promise<void> {
  const entry = lookupModel(options.model);
  if (entry.task !== 'detection') throw new CliError(`${options.model} is a ${entry.task} model; detect needs a detection model (see 'convkit models')`);
  if (!options.out && !options.json) throw new CliError('nothing to output: give --out boxes.png, --json, or both', 2);
  if (options.out) await checkOutputFile(options.out, '--out');
  const image = await readImage(imagePath, parseMegapixels(options.maxMegapixels));
  if (image.width === 0 || image.height === 0) throw new CliError(`image '${imagePath}' has no pixels (${image.width}x${image.height})`);
  const weights = options.weights ? await readWeightsFile(options.weights) : null;
  await selectBackend(options.backend);
  const model = entry.create();
  try {
    if (weights) {
      try {
        model.loadStateDict(readSafetensors(weights).tensors);
      } catch (error) {
        throw new CliError(`weights '${options.weights}' do not fit ${options.model}: ${(error as Error).message}`);
      }
    } else {
      console.error(`warning: no --weights given; ${options.model} runs with its untrained initial weights`);
    }
    model.eval();
    if (options.fuse !== false) fuseForInference(model);
    const side = entry.inputShape[0];
    const input = resized(image, side);
    let detections: Detections;
    const started = performance.now();
    if (model instanceof Yolo) [detections] = await detectYolo(model, [input]) as [Detections];
    else if (model instanceof FasterRCNN || model instanceof FastRCNN || model instanceof RCNN) [detections] = await model.detect([input]) as [Detections];
    else throw new CliError(`${options.model} has no detection decoder in this CLI`);
    const elapsed = performance.now() - started;
    const sx = image.width / side, sy = image.height / side;
    const boxes = detections.boxes.map((v, i) => v * (i % 2 === 0 ? sx : sy));
    const names: readonly string[] = entry.numClasses === 20 ? VOC_CLASSES : entry.numClasses === SHAPE_CLASSES.length ? SHAPE_CLASSES : [];
    if (options.out) {
      const scale = Math.max(1, Math.floor(256 / Math.max(image.width, image.height)));
      await writePng(options.out, drawDetections(image, { ...detections, boxes }, { classNames: names, scale }));
      console.error(`wrote ${options.out}: ${detections.labels.length} detections in ${elapsed.toFixed(0)} ms`);
    }
    if (options.json) {
      const list = Array.from(detections.labels, (label, i) => ({
        label, name: names[label] ?? String(label), score: detections.scores[i], box: Array.from(boxes.subarray(4 * i, 4 * i + 4)),
      }));
      console.log(JSON.stringify({ model: options.model, image: imagePath, width: image.width, height: image.height, ms: Math.round(elapsed), detections: list }, null, 2));
    }
  } finally {
    model.dispose();
  }
}
