import * as tf from '@tensorflow/tfjs-core';

/** torchvision's ImageNet normalisation, which the published weights expect. */
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

export async function decodeImage(source: Blob | string): Promise<ImageBitmap> {
  const blob = typeof source === 'string' ? await (await fetch(source)).blob() : source;
  try {
    return await createImageBitmap(blob);
  } catch {
    throw new Error(`cannot decode this file as an image (${blob.type || 'unknown type'}); use a PNG, JPEG, WebP or GIF`);
  }
}

/**
 * The image as a model input [1, H, W, C] float32, the way torchvision's eval transforms prepare it:
 * the shorter side scaled to H * 256/224, the centre H x W cropped, then for RGB models
 * (x / 255 - mean) / std; one-channel models get the luminance in [0, 1].
 */
export function toInput(image: ImageBitmap, [height, width, channels]: [number, number, number]): tf.Tensor4D {
  const scale = (Math.min(height, width) * 256) / 224 / Math.min(image.width, image.height);
  const [w, h] = [image.width * scale, image.height * scale];
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d')!;
  context.imageSmoothingQuality = 'high';
  context.drawImage(image, (width - w) / 2, (height - h) / 2, w, h);
  return tf.tidy(() => {
    const rgb = tf.div(tf.cast(tf.browser.fromPixels(context.getImageData(0, 0, width, height)), 'float32'), 255);
    const x = channels === 1
      ? tf.sum(tf.mul(rgb, [0.299, 0.587, 0.114]), -1, true)
      : tf.div(tf.sub(rgb, MEAN), STD);
    return tf.expandDims(x, 0) as tf.Tensor4D;
  });
}
