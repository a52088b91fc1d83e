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

/**
 * The image drawn at width x height (stretched if the aspect differs) as RGBA bytes: at its own size, what
 * `preprocess(entry, image)` takes.
 */
export function resizedPixels(image: ImageBitmap, width: number, height: number): ImageData {
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d')!;
  context.imageSmoothingQuality = 'high';
  context.drawImage(image, 0, 0, width, height);
  return context.getImageData(0, 0, width, height);
}

/**
 * The factor a result canvas draws an image at: a whole number for small images, so that a 32 px scene is
 * seen at about 320 px with sharp pixels; a photo at its own size, or shrunk to 512 px on the longer side.
 */
export function displayScale(width: number, height: number): number {
  const longer = Math.max(width, height);
  return longer >= 256 ? Math.min(1, 512 / longer) : Math.floor(320 / longer) || 1;
}
