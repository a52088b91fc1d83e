import * as tf from '@tensorflow/tfjs-core';
import { IMAGENET_MEAN, IMAGENET_STD } from '@convkit/core';
import { type RgbImage, rgbStride } from '../selective-search/image.js';

const f32 = Math.fround;

export interface GeneralizedRCNNTransformOptions {
  /** Shorter side after resizing (default 800). */
  minSize?: number;
  /** Longer side cap after resizing (default 1333). */
  maxSize?: number;
  imageMean?: readonly number[];
  imageStd?: readonly number[];
  /** The padded batch's height and width are multiples of this (default 32). */
  sizeDivisible?: number;
}

/** A batch ready for the backbone. */
export interface ImageList {
  /** [N, H_pad, W_pad, 3] float32: normalised, resized, zero-padded at the bottom and right. */
  tensors: tf.Tensor4D;
  /** [height, width] of each image after resizing, before padding. */
  imageSizes: [number, number][];
  /** [height, width] of each image as given. */
  originalSizes: [number, number][];
}

/**
 * torchvision's GeneralizedRCNNTransform in eval mode: each image as float in [0, 1] (bytes / 255),
 * normalised by the ImageNet mean and std, resized bilinearly (half-pixel centres) by
 * min(minSize / shorter side, maxSize / longer side) to floor(side * scale), then the batch zero-padded to
 * the largest height and width rounded up to `sizeDivisible`. `postprocess` maps boxes back.
 */
export class GeneralizedRCNNTransform {
  readonly minSize: number;
  readonly maxSize: number;
  readonly imageMean: readonly number[];
  readonly imageStd: readonly number[];
  readonly sizeDivisible: number;

  constructor(options: GeneralizedRCNNTransformOptions = {}) {
    this.minSize = options.minSize ?? 800;
    this.maxSize = options.maxSize ?? 1333;
    this.imageMean = options.imageMean ?? IMAGENET_MEAN;
    this.imageStd = options.imageStd ?? IMAGENET_STD;
    this.sizeDivisible = options.sizeDivisible ?? 32;
  }

  /**
   * [height, width] after resizing, in torchvision's arithmetic: the float32 scale
   * min(minSize * (1 / shorter), maxSize * (1 / longer)) (Python's `float / tensor` is reciprocal then
   * multiply), then floor(side * scale) in double precision, as F.interpolate computes the output size.
   */
  resizedSize(height: number, width: number): [number, number] {
    const byMin = f32(f32(1 / f32(Math.min(height, width))) * this.minSize);
    const byMax = f32(f32(1 / f32(Math.max(height, width))) * this.maxSize);
    const scale = Math.min(byMin, byMax);
    return [Math.floor(height * scale), Math.floor(width * scale)];
  }

  /** images: 8-bit RGB(A) -> the padded batch and the sizes that `postprocess` needs. */
  apply(images: readonly RgbImage[]): ImageList {
    if (images.length === 0) throw new Error('GeneralizedRCNNTransform needs at least one image');
    return this.#batch(images.map((image) => [image.height, image.width]), (i) => {
      const image = images[i]!;
      const stride = rgbStride(image, 'GeneralizedRCNNTransform');
      const rgb = new Float32Array(image.height * image.width * 3);
      for (let p = 0; p < image.height * image.width; p++) {
        for (let c = 0; c < 3; c++) rgb[3 * p + c] = image.data[stride * p + c]! / 255;
      }
      return tf.tensor4d(rgb, [1, image.height, image.width, 3]);
    });
  }

  /** images: [N, H, W, 3] float in [0, 1], all of one size -> the padded batch, as `apply`. Differentiable. */
  applyTensor(images: tf.Tensor4D): ImageList {
    const [n, h, w] = images.shape;
    return this.#batch(Array.from({ length: n }, () => [h, w]), (i) => tf.slice(images, [i, 0, 0, 0], [1, h, w, 3]));
  }

  #batch(originalSizes: [number, number][], image: (i: number) => tf.Tensor4D): ImageList {
    const imageSizes = originalSizes.map(([h, w]) => this.resizedSize(h, w));
    const d = this.sizeDivisible;
    const padH = Math.ceil(Math.max(...imageSizes.map(([h]) => h)) / d) * d;
    const padW = Math.ceil(Math.max(...imageSizes.map(([, w]) => w)) / d) * d;
    const tensors = tf.tidy(() => {
      const mean = tf.tensor1d([...this.imageMean]);
      const std = tf.tensor1d([...this.imageStd]);
      return tf.concat(imageSizes.map(([h, w], i) => {
        const x = tf.div(tf.sub(image(i), mean), std) as tf.Tensor4D;
        const resized = tf.image.resizeBilinear(x, [h, w], false, true);
        return tf.pad(resized, [[0, 0], [0, padH - h], [0, padW - w], [0, 0]]);
      })) as tf.Tensor4D;
    });
    return { tensors, imageSizes, originalSizes };
  }

  /**
   * Boxes [K, 4] in pixels of the resized image `index` -> pixels of the original, scaled by the float32
   * ratios original / resized per axis, as torchvision's resize_boxes. Modifies and returns `boxes`.
   */
  postprocessBoxes(boxes: Float32Array, list: Pick<ImageList, 'imageSizes' | 'originalSizes'>, index: number): Float32Array {
    const [h, w] = list.imageSizes[index]!;
    const [oh, ow] = list.originalSizes[index]!;
    const ry = f32(oh / h), rx = f32(ow / w);
    for (let i = 0; i < boxes.length; i += 4) {
      boxes[i] = f32(boxes[i]! * rx);
      boxes[i + 1] = f32(boxes[i + 1]! * ry);
      boxes[i + 2] = f32(boxes[i + 2]! * rx);
      boxes[i + 3] = f32(boxes[i + 3]! * ry);
    }
    return boxes;
  }
}
