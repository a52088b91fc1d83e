import * as tf from '@tensorflow/tfjs-core';
import { IMAGENET_MEAN, IMAGENET_STD } from '@convkit/core';
import { fetchAsset } from './fetch-asset.js';

/** `source`: a picked file, or the URL of a sample (`name` says which in errors). */
export async function decodeImage(source: Blob | string, name: string): Promise<ImageBitmap> {
  const blob = typeof source === 'string' ? await (await fetchAsset(source, name)).blob() : source;
  try {
    return await createImageBitmap(blob);
  } catch {
    throw new Error(`cannot decode this file as an image (${blob.type || 'unknown type'}); use a PNG, JPEG, WebP or GIF`);
  }
}

/** The image drawn at width x height (stretched if the aspect differs) as RGBA bytes. */
export function resizedPixels(image: ImageBitmap, width: number, height: number): ImageData {
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d')!;
  context.imageSmoothingQuality = 'high';
  context.drawImage(image, 0, 0, width, height);
  return context.getImageData(0, 0, width, height);
}

/**
 * The image as a classifier input [1, H, W, C] float32. RGB models get torchvision's eval transforms: the
 * shorter side scaled to H * 256/224, the centre H x W cropped, then (x / 255 - mean) / std. One-channel
 * models (LeNet's digits) get the whole image resized, as luminance in [0, 1]: a digit fills its frame,
 * and a crop would cut its strokes.
 */
export function toInput(image: ImageBitmap, [height, width, channels]: [number, number, number]): tf.Tensor4D {
  let pixels: ImageData;
  if (channels === 1) {
    pixels = resizedPixels(image, width, height);
  } else {
    const scale = (Math.min(height, width) * 256) / 224 / Math.min(image.width, image.height);
    const [w, h] = [image.width * scale, image.height * scale];
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d')!;
    context.imageSmoothingQuality = 'high';
    context.drawImage(image, (width - w) / 2, (height - h) / 2, w, h);
    pixels = context.getImageData(0, 0, width, height);
  }
  return tf.tidy(() => {
    const rgb = tf.div(tf.cast(tf.browser.fromPixels(pixels), 'float32'), 255);
    const x = channels === 1
      ? tf.sum(tf.mul(rgb, [0.299, 0.587, 0.114]), -1, true)
      : tf.div(tf.sub(rgb, [...IMAGENET_MEAN]), [...IMAGENET_STD]);
    return tf.expandDims(x, 0) as tf.Tensor4D;
  });
}

/**
 * The factor a result canvas draws an image at: a whole number for small images, so that a 32 px scene is
 * seen at about 320 px with sharp pixels; a photo at its own size, or shrunk to 512 px on the longer side.
 */
export function displayScale(width: number, height: number): number {
  const longer = Math.max(width, height);
  return longer >= 256 ? Math.min(1, 512 / longer) : Math.floor(320 / longer) || 1;
}
