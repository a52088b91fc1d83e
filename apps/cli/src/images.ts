import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { CliError } from './cli-error.js';
import { readInputFile, writeOutputFile } from './files.js';
import { positiveOption } from './option-values.js';

/** A decoded picture: [height, width, 3] uint8 RGB, row-major. */
export interface RgbImage {
  data: Uint8Array;
  height: number;
  width: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];
const startsWith = (bytes: Uint8Array, signature: number[]) => signature.every((b, i) => bytes[i] === b);

/** The default cap on decoded pixels (width x height), as jpeg-js's; `--max-megapixels` raises it. */
export const DEFAULT_MAX_MEGAPIXELS = 100;

/**
 * Width and height from a PNG's IHDR or a JPEG's first start-of-frame marker, read without decoding,
 * so that a small file declaring a huge picture is refused before any pixel is allocated. Null when the
 * header holds no size (a decoder will then say what is wrong).
 */
export function declaredSize(bytes: Uint8Array): { width: number; height: number } | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (startsWith(bytes, PNG_SIGNATURE)) {
    return bytes.length >= 24 ? { width: view.getUint32(16), height: view.getUint32(20) } : null;
  }
  let i = 2;
  while (i + 4 <= bytes.length) {
    if (bytes[i] !== 0xff) return null;
    const marker = bytes[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    // SOF0-SOF15 but DHT (c4), JPG (c8) and DAC (cc): length, precision, height, width.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return i + 9 <= bytes.length ? { width: view.getUint16(i + 7), height: view.getUint16(i + 5) } : null;
    }
    i += 2 + view.getUint16(i + 2);
  }
  return null;
}

function checkSize(bytes: Uint8Array, path: string, maxMegapixels: number): void {
  const size = declaredSize(bytes);
  if (size && size.width * size.height > maxMegapixels * 1e6) {
    throw new CliError(
      `image '${path}' declares ${size.width}x${size.height} pixels (${((size.width * size.height) / 1e6).toFixed(1)} megapixels), ` +
        `more than the ${maxMegapixels} convkit decodes; pass --max-megapixels ${Math.ceil((size.width * size.height) / 1e6)} to allow it`,
    );
  }
}

/**
 * Decodes a PNG (any bit depth and colour type; alpha is dropped) or a baseline/progressive JPEG to RGB,
 * recognising the format by its signature rather than the file name, and refusing pictures of more than
 * `maxMegapixels` from their header. `path` names the file in errors.
 */
export function decodeImage(bytes: Uint8Array, path: string, maxMegapixels = DEFAULT_MAX_MEGAPIXELS): RgbImage {
  const notImage = notAnImage(bytes, path);
  if (notImage) throw new CliError(notImage);
  checkSize(bytes, path, maxMegapixels);
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
  try {
    const decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxResolutionInMP: maxMegapixels, maxMemoryUsageInMB: Math.max(1024, 8 * maxMegapixels) });
    return { data: decoded.data, height: decoded.height, width: decoded.width };
  } catch (error) {
    throw new CliError(`cannot decode '${path}' as JPEG: ${(error as Error).message}`);
  }
}

function notAnImage(head: Uint8Array, path: string): string | null {
  if (startsWith(head, PNG_SIGNATURE) || startsWith(head, JPEG_SIGNATURE)) return null;
  const bytes = Array.from(head.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return `'${path}' is not a PNG or JPEG image (it starts with ${bytes || 'nothing: the file is empty'})`;
}

/** An RGBA picture: [height, width, 4] uint8, row-major. */
export interface RgbaImage {
  data: Uint8Array;
  height: number;
  width: number;
}

/**
 * Reads and decodes a PNG or JPEG file, with a CliError for a missing or special file, one that is not
 * an image (from its first bytes, before the rest is read) or one of more than `maxMegapixels`.
 * `beforeDecoding` sees the size the header declares and may refuse it (a forward pass too large).
 */
export async function readImage(
  path: string, maxMegapixels = DEFAULT_MAX_MEGAPIXELS, beforeDecoding?: (size: { width: number; height: number }) => Promise<void>,
): Promise<RgbImage> {
  const bytes = await readInputFile(path, 'image', { maxBytes: MAX_IMAGE_BYTES, checkStart: (head) => notAnImage(head, path) });
  const size = declaredSize(bytes);
  if (beforeDecoding && size) {
    checkSize(bytes, path, maxMegapixels);
    await beforeDecoding(size);
  }
  return decodeImage(bytes, path, maxMegapixels);
}

/** No PNG or JPEG of a sane picture comes near this; larger files are refused before being read. */
const MAX_IMAGE_BYTES = 1024 * 2 ** 20;

/** `--max-megapixels`: a positive number, default 100. */
export function parseMegapixels(value: string | undefined): number {
  return value === undefined ? DEFAULT_MAX_MEGAPIXELS : positiveOption(value, '--max-megapixels');
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
