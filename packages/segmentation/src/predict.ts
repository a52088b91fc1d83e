import * as tf from '@tensorflow/tfjs-core';
import { IMAGENET_MEAN, IMAGENET_STD, type Module } from '@convkit/core';
import { vocColormap } from './colormap.js';

/** Per-pixel class: logits [N, H, W, C] -> [N, H, W] int32, the first maximum on ties. */
export function argmaxClassMap(logits: tf.Tensor): tf.Tensor3D {
  return tf.tidy(() => tf.argMax(logits, -1) as tf.Tensor3D);
}

/** Per-class probability maps: softmax over the class axis, logits [N, H, W, C] -> [N, H, W, C]. */
export function classProbabilities(logits: tf.Tensor): tf.Tensor4D {
  return tf.tidy(() => tf.softmax(logits, -1) as tf.Tensor4D);
}

export interface ImageRgb {
  /** [H, W, 3] uint8, row-major. */
  data: Uint8Array;
  height: number;
  width: number;
}

export interface Prediction {
  height: number;
  width: number;
  numClasses: number;
  /** [H, W] class indices. */
  classMap: Int32Array;
  /** [H, W, numClasses] softmax probabilities. */
  probabilities: Float32Array;
}

export interface PredictOptions {
  mean?: readonly [number, number, number];
  std?: readonly [number, number, number];
}

/**
 * Runs a segmentation model in eval mode on one RGB image, normalised as (x / 255 - mean) / std
 * (ImageNet's by default), and reads back the class map and probabilities.
 */
export async function predictSegmentation(model: Module<tf.Tensor, unknown>, image: ImageRgb, options: PredictOptions = {}): Promise<Prediction> {
  const mean = options.mean ?? IMAGENET_MEAN;
  const std = options.std ?? IMAGENET_STD;
  const { height, width } = image;
  if (image.data.length !== height * width * 3) throw new Error(`image data has ${image.data.length} bytes, expected ${height}x${width}x3`);
  const wasTraining = model.training;
  model.eval();
  try {
    const [classMap, probabilities] = tf.tidy(() => {
      const x = tf.div(tf.sub(tf.div(tf.tensor4d(image.data, [1, height, width, 3], 'float32'), 255), tf.tensor1d([...mean])), tf.tensor1d([...std]));
      const logits = model.call(x);
      if (!(logits instanceof tf.Tensor) || logits.rank !== 4) throw new Error('the model did not return logits [N, H, W, C]; pass a segmentation model');
      return [argmaxClassMap(logits), classProbabilities(logits)];
    });
    const numClasses = probabilities.shape[3]!;
    const result = { height, width, numClasses, classMap: (await classMap.data()) as Int32Array, probabilities: (await probabilities.data()) as Float32Array };
    classMap.dispose();
    probabilities.dispose();
    return result;
  } finally {
    model.train(wasTraining);
  }
}

/** A class map [H * W] as RGBA [H * W * 4], each class in its colour-map entry (PASCAL VOC's by default), opaque. */
export function colorizeMask(classMap: ArrayLike<number>, colormap: Uint8Array = vocColormap()): Uint8Array {
  const rgba = new Uint8Array(classMap.length * 4);
  const colours = colormap.length / 3;
  for (let i = 0; i < classMap.length; i++) {
    const c = classMap[i]!;
    if (!(c >= 0 && c < colours)) throw new Error(`pixel ${i} has class ${c}, outside the colour map's ${colours} entries`);
    rgba[i * 4] = colormap[c * 3]!;
    rgba[i * 4 + 1] = colormap[c * 3 + 1]!;
    rgba[i * 4 + 2] = colormap[c * 3 + 2]!;
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}

/**
 * One class's probability from `probabilities` [H, W, numClasses] as an RGBA heat map [H * W * 4]:
 * black (0) through red and yellow to white (1), matplotlib's "hot".
 */
export function probabilityHeatmap(probabilities: Float32Array, numClasses: number, classIndex: number): Uint8Array {
  if (!(classIndex >= 0 && classIndex < numClasses)) throw new Error(`class ${classIndex} is outside 0..${numClasses - 1}`);
  const pixels = probabilities.length / numClasses;
  const rgba = new Uint8Array(pixels * 4);
  for (let i = 0; i < pixels; i++) {
    const p = Math.min(1, Math.max(0, probabilities[i * numClasses + classIndex]!));
    rgba[i * 4] = Math.round(255 * Math.min(1, p / 0.365));
    rgba[i * 4 + 1] = Math.round(255 * Math.min(1, Math.max(0, (p - 0.365) / 0.381)));
    rgba[i * 4 + 2] = Math.round(255 * Math.max(0, (p - 0.746) / 0.254));
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}

/**
 * The colour-coded mask blended over the image: RGBA [H * W * 4] = (1 - alpha) * image + alpha * colour,
 * with background (class 0) pixels left as the image.
 */
export function overlayMask(image: ImageRgb, classMap: ArrayLike<number>, options: { alpha?: number; colormap?: Uint8Array } = {}): Uint8Array {
  const alpha = options.alpha ?? 0.5;
  const pixels = image.height * image.width;
  if (classMap.length !== pixels) throw new Error(`class map has ${classMap.length} pixels, the image ${pixels}`);
  const colours = colorizeMask(classMap, options.colormap);
  const rgba = new Uint8Array(pixels * 4);
  for (let i = 0; i < pixels; i++) {
    const a = classMap[i] === 0 ? 0 : alpha;
    for (let k = 0; k < 3; k++) rgba[i * 4 + k] = Math.round((1 - a) * image.data[i * 3 + k]! + a * colours[i * 4 + k]!);
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}
