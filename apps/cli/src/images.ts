import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { CliError } from './cli-error.js';
import { readInputFile, writeOutputFile } from './files.js';

/** A decoded picture: [height, width, 3] uint8 RGB, row-major. */
export interface RgbImage {
  data: Uint8Array;
  height: number;
  width: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];
const startsWith = (bytes: Uint8Array, signature: number[]) => signature.every((b, i) => bytes[i] === b);

/**
 * Decodes a PNG (any bit depth and colour type; alpha is dropped) or a baseline/progressive JPEG to RGB,
 * recognising the format by its signature rather than the file name. `path` names the file in errors.
 */
export function decodeImage(bytes: Uint8Array, path: string): RgbImage {
  if (startsWith(bytes, PNG_SIGNATURE)) {
    let png: PNG;
    try {
      png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (error) {
      throw new CliError(`cannot decode '${path}' as PNG: ${(error as Error).message}`);
    }
    const { width, height } = png;
    const data = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) data.set(png.data.subarray(i * 4, i * 4 + 3), i * 3);
    return { data, height, width };
  }
  if (startsWith(bytes, JPEG_SIGNATURE)) {
    try {
      const decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
      return { data: decoded.data, height: decoded.height, width: decoded.width };
    } catch (error) {
      throw new CliError(`cannot decode '${path}' as JPEG: ${(error as Error).message}`);
    }
  }
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new CliError(`'${path}' is not a PNG or JPEG image (it starts with ${head || 'nothing: the file is empty'})`);
}

/** An RGBA picture: [height, width, 4] uint8, row-major. */
export interface RgbaImage {
  data: Uint8Array;
  height: number;
  width: number;
}

/** Reads and decodes a PNG or JPEG file, with a CliError for a missing file or one that is not an image. */
export async function readImage(path: string): Promise<RgbImage> {
  return decodeImage(await readInputFile(path, 'image'), path);
}

/** Encodes RGBA as PNG and writes it atomically (a failed run leaves no half-written file). */
export async function writePng(path: string, image: RgbaImage): Promise<void> {
  await writeOutputFile(path, encodePng(image.data, image.width, image.height));
}

/** RGBA [height, width, 4] uint8 -> PNG file bytes (8-bit RGBA). */
export function encodePng(rgba: Uint8Array, width: number, height: number): Uint8Array {
  if (rgba.length !== width * height * 4) throw new Error(`${rgba.length} bytes do not make a ${width}x${height} RGBA image`);
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  return new Uint8Array(PNG.sync.write(png));
}
