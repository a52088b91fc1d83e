import * as tf from '@tensorflow/tfjs-core';
import type { Module, Preprocessing } from '@convkit/core';
import type { Detections, GroundTruth } from './metrics.js';
import { type RgbImage, rgbStride } from './selective-search/image.js';

/**
 * What a detector takes: 8-bit RGB(A) images of any sizes, or a batch [N, H, W, 3] float32 in [0, 1].
 * A detector that is built for one input size resizes to it and maps its boxes back.
 */
export type DetectorImages = readonly RgbImage[] | tf.Tensor4D;

/** One image's training target: boxes [M, 4] (x1, y1, x2, y2) in its pixels, labels [M] 0-based; region proposals [K, 4] for the models that take them. */
export interface DetectionTarget extends GroundTruth {
  proposals?: Float32Array;
}

/** A batch's losses by name (per stage, as torchvision's loss dict): scalars to sum for the gradient. */
export type DetectionLosses = Record<string, tf.Scalar>;

/**
 * The one surface every detection model has, as torchvision's GeneralizedRCNN contract: images in,
 * detections out, and the training losses of a batch of targets.
 */
export interface Detector extends Module<any, any> {
  /** Object classes the model tells apart, without the background. */
  readonly numClasses: number;
  /** Detections per image, boxes in that image's pixels, labels 0-based; eval mode. */
  detect(images: DetectorImages): Promise<Detections[]>;
  /**
   * The training losses of a batch, synchronous so that it can sit inside `trainStep`: images [N, H, W, 3]
   * in [0, 1], one target per image. Call it inside tf.tidy or a gradient.
   */
  loss(images: tf.Tensor4D, targets: readonly DetectionTarget[]): DetectionLosses;
}

/**
 * torchvision's ObjectDetection eval transform, every detector's registry preprocessing: 8-bit RGB to float
 * in [0, 1], nothing else. Resizing (and, for the FPN, normalising) belongs to the model: `detectAtSize` for
 * the detectors built for one input size, GeneralizedRCNNTransform for the FPN, so `detect` takes any size.
 */
export const OBJECT_DETECTION_PREPROCESSING: Preprocessing = { colour: 'rgb', mean: [0, 0, 0], std: [1, 1, 1] };

/** Whether a module is a detector: it has `detect` and `loss`. */
export function isDetector(model: unknown): model is Detector {
  const m = model as Partial<Detector> | null;
  return typeof m?.detect === 'function' && typeof m.loss === 'function' && typeof m.numClasses === 'number';
}

/** The sum of a batch's named losses, in their order (stage after stage, as the models add them). */
export function totalLoss(losses: DetectionLosses): tf.Scalar {
  const parts = Object.values(losses);
  if (parts.length === 0) throw new Error('totalLoss: the model returned no losses');
  return tf.tidy(() => parts.slice(1).reduce((sum, part) => tf.add(sum, part) as tf.Scalar, parts[0]!));
}

/** An 8-bit image -> [H, W, 3] float32 in [0, 1], divided on the host as the training data is. */
export function imageToTensor(image: RgbImage): tf.Tensor3D {
  const stride = rgbStride(image, 'detector image');
  const { height, width } = image;
  const out = new Float32Array(height * width * 3);
  for (let p = 0; p < height * width; p++) {
    out[3 * p] = image.data[p * stride]! / 255;
    out[3 * p + 1] = image.data[p * stride + 1]! / 255;
    out[3 * p + 2] = image.data[p * stride + 2]! / 255;
  }
  return tf.tensor3d(out, [height, width, 3]);
}

/** [height, width] of each image. */
export function imageSizes(images: DetectorImages): [number, number][] {
  if (images instanceof tf.Tensor) return Array.from({ length: images.shape[0] }, () => [images.shape[1], images.shape[2]]);
  return images.map((image) => [image.height, image.width]);
}

/**
 * Runs a detector built for one input size: each image resized (bilinear, half-pixel centres) to
 * [height, width] unless it has that size already, one batch [N, height, width, 3] in [0, 1] to `run`,
 * and the boxes scaled back to each image's own pixels.
 */
export async function detectAtSize(images: DetectorImages, [height, width]: readonly [number, number], run: (batch: tf.Tensor4D) => Promise<Detections[]>): Promise<Detections[]> {
  const sizes = imageSizes(images);
  if (sizes.length === 0) return [];
  const unchanged = sizes.every(([h, w]) => h === height && w === width);
  const batch = images instanceof tf.Tensor
    ? (unchanged ? images : tf.image.resizeBilinear(images, [height, width], false, true))
    : tf.tidy(() => tf.stack(images.map((image) => {
      const x = imageToTensor(image);
      return image.height === height && image.width === width ? x : tf.image.resizeBilinear(x, [height, width], false, true);
    })) as tf.Tensor4D);
  try {
    const found = await run(batch);
    if (unchanged) return found;
    return found.map((d, n) => {
      const [sy, sx] = [sizes[n]![0] / height, sizes[n]![1] / width];
      return { ...d, boxes: d.boxes.map((v, i) => v * (i % 2 === 0 ? sx : sy)) };
    });
  } finally {
    if (batch !== images) batch.dispose();
  }
}

/** Image `n` of a batch [N, H, W, 3] in [0, 1] as 8-bit RGB, for the host-side steps (selective search). */
export function batchImage(batch: tf.Tensor4D, n: number): RgbImage {
  const [, height, width] = batch.shape;
  const values = tf.tidy(() => tf.slice(batch, [n, 0, 0, 0], [1, height, width, 3]).dataSync());
  return { height, width, data: Uint8Array.from(values, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255)) };
}
