import * as tf from '@tensorflow/tfjs-core';
import type { ModelEntry } from '../registry.js';
import { resizeBilinearAntialiased, resizedSize } from './resize.js';

/**
 * How an image becomes a model's input at evaluation, as torchvision's `weights.transforms()` says it:
 * colour conversion, Resize, CenterCrop, then Normalize of values in [0, 1]. The result is always NHWC,
 * [1, H, W, C] float32 with C = 3 for 'rgb' and 1 for 'grey'.
 */
export interface Preprocessing {
  /** 'grey' is torchvision's `rgb_to_grayscale`: 0.2989 R + 0.587 G + 0.114 B. */
  colour: 'rgb' | 'grey';
  /**
   * torchvision's Resize, bilinear and antialiased: a number scales the shorter side to it, keeping the
   * aspect; [H, W] resizes to exactly that. Absent: the image keeps its size (a fully convolutional model).
   */
  resize?: number | readonly [number, number];
  /** torchvision's CenterCrop [H, W] after the resize, padding with zeros where the image is smaller. */
  crop?: readonly [number, number];
  /** Per channel, of values in [0, 1]: (x - mean) / std. */
  mean: readonly number[];
  std: readonly number[];
}

/** An 8-bit image as decoders give it: data [H, W, 3] (RGB) or [H, W, 4] (RGBA, alpha ignored), row-major. */
export interface ImageBytes {
  width: number;
  height: number;
  data: ArrayLike<number>;
}

/** The preprocessed image on the host: data [height, width, channels] float32. */
export interface PreprocessedImage {
  data: Float32Array;
  height: number;
  width: number;
  channels: number;
}

/** Python's round(): halves go to the even neighbour, as torchvision's centre crop rounds its offset. */
function roundHalfEven(v: number): number {
  const floor = Math.floor(v);
  return v - floor === 0.5 ? (floor % 2 === 0 ? floor : floor + 1) : Math.round(v);
}

/** The first source index of a centre crop of `crop` out of `size`; negative where the crop pads. */
function cropOffset(size: number, crop: number): number {
  return crop > size ? -Math.floor((crop - size) / 2) : roundHalfEven((size - crop) / 2);
}

/** `image` through `preprocessing` on the host, for data loaders that batch many images before the backend sees them. */
export function applyPreprocessing(preprocessing: Preprocessing, image: ImageBytes): PreprocessedImage {
  const { width, height, data } = image;
  const stride = data.length / (width * height);
  if (width < 1 || height < 1 || (stride !== 3 && stride !== 4)) {
    throw new Error(`an image of ${width}x${height} pixels needs ${3 * width * height} RGB or ${4 * width * height} RGBA bytes, got ${data.length}`);
  }
  const channels = preprocessing.colour === 'grey' ? 1 : 3;
  if (preprocessing.mean.length !== channels || preprocessing.std.length !== channels) {
    throw new Error(`preprocessing for ${preprocessing.colour} images needs ${channels} means and stds, got ${preprocessing.mean.length} and ${preprocessing.std.length}`);
  }
  let pixels: Float32Array = new Float32Array(width * height * channels);
  for (let p = 0; p < width * height; p++) {
    const [r, g, b] = [data[p * stride]! / 255, data[p * stride + 1]! / 255, data[p * stride + 2]! / 255];
    if (channels === 1) pixels[p] = 0.2989 * r + 0.587 * g + 0.114 * b;
    else pixels.set([r, g, b], p * 3);
  }
  let [h, w] = [height, width];
  if (preprocessing.resize !== undefined) {
    const [outHeight, outWidth] = resizedSize(h, w, preprocessing.resize);
    pixels = resizeBilinearAntialiased(pixels, h, w, channels, outHeight, outWidth);
    [h, w] = [outHeight, outWidth];
  }
  const [outHeight, outWidth] = preprocessing.crop ?? [h, w];
  const [top, left] = [cropOffset(h, outHeight), cropOffset(w, outWidth)];
  const out = new Float32Array(outHeight * outWidth * channels);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      const [sy, sx] = [y + top, x + left];
      const inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
      for (let c = 0; c < channels; c++) {
        const value = inside ? pixels[(sy * w + sx) * channels + c]! : 0;
        out[(y * outWidth + x) * channels + c] = (value - preprocessing.mean[c]!) / preprocessing.std[c]!;
      }
    }
  }
  return { data: out, height: outHeight, width: outWidth, channels };
}

/**
 * The registry entry's evaluation transform applied to one image: image -> [1, H, W, C] float32, the
 * input `entry.create()`'s model expects.
 */
export function preprocess(entry: ModelEntry, image: ImageBytes): tf.Tensor4D {
  if (!entry.preprocessing) throw new Error(`${entry.name} declares no preprocessing in its registry entry`);
  const { data, height, width, channels } = applyPreprocessing(entry.preprocessing, image);
  return tf.tensor4d(data, [1, height, width, channels], 'float32');
}
