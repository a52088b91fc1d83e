/**
 * An 8-bit image in row-major [height, width, channels] order: RGB (3 channels) or RGBA (4, as a
 * canvas's ImageData; alpha is ignored). Selective search works on plain arrays, without tfjs.
 */
export interface RgbImage {
  data: Uint8Array | Uint8ClampedArray;
  height: number;
  width: number;
}

/** A planar or interleaved float or byte image of any channel count, as the segmenters read them. */
export interface Channels {
  data: ArrayLike<number>;
  height: number;
  width: number;
  channels: number;
}

/** Checks an RgbImage and returns its channel stride (3 or 4). */
export function rgbStride(image: RgbImage, what: string): number {
  const { data, height, width } = image;
  if (!(Number.isInteger(height) && Number.isInteger(width) && height >= 0 && width >= 0)) {
    throw new Error(`${what}: height and width must be non-negative integers, got ${height} x ${width}`);
  }
  const pixels = height * width;
  if (data.length === 3 * pixels) return 3;
  if (data.length === 4 * pixels && pixels > 0) return 4;
  throw new Error(`${what}: a ${height} x ${width} image needs ${3 * pixels} (RGB) or ${4 * pixels} (RGBA) bytes, got ${data.length}`);
}

/** The image's RGB bytes as an [H, W, 3] Channels view (copying only to drop alpha). */
export function rgbChannels(image: RgbImage, what: string): Channels {
  const stride = rgbStride(image, what);
  let data: ArrayLike<number> = image.data;
  if (stride === 4) {
    const rgb = new Uint8Array(image.height * image.width * 3);
    for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
      rgb[j] = image.data[i]!;
      rgb[j + 1] = image.data[i + 1]!;
      rgb[j + 2] = image.data[i + 2]!;
    }
    data = rgb;
  }
  return { data, height: image.height, width: image.width, channels: 3 };
}
