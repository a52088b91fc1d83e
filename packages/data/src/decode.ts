import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DataError } from './errors.js';
import type { ByteImage } from './image.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];
const startsWith = (bytes: Uint8Array, signature: number[]) => signature.every((b, i) => bytes[i] === b);

/** The default cap on decoded pixels (width x height), as jpeg-js's own. */
export const DEFAULT_MAX_MEGAPIXELS = 100;

export interface DecodeOptions {
  /** Pictures declaring more than this many million pixels are refused from their header (default 100). */
  maxMegapixels?: number;
}

/**
 * Width and height from a PNG's IHDR or a JPEG's first start-of-frame marker, read without decoding,
 * so that a small file declaring a huge picture is refused before any pixel is allocated. Null when the
 * header holds no size (the decoder will then say what is wrong).
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

/** Null when `head` starts like a PNG or JPEG, else the one-line reason it is not an image. */
export function notAnImage(head: Uint8Array, path: string): string | null {
  if (startsWith(head, PNG_SIGNATURE) || startsWith(head, JPEG_SIGNATURE)) return null;
  const bytes = Array.from(head.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return `'${path}' is not a PNG or JPEG image (it starts with ${bytes || 'nothing: the file is empty'})`;
}

/**
 * PNG (any bit depth and colour type; alpha dropped) or baseline/progressive JPEG file bytes ->
 * [height, width, 3] uint8 RGB, as torchvision's ImageFolder loader (`PIL.Image.convert('RGB')`).
 * The format is recognised by its signature, not the file name; `path` names the file in errors.
 */
export function decodeImage(bytes: Uint8Array, path: string, options: DecodeOptions = {}): ByteImage {
  const maxMegapixels = options.maxMegapixels ?? DEFAULT_MAX_MEGAPIXELS;
  const notImage = notAnImage(bytes, path);
  if (notImage) throw new DataError(notImage, path);
  const size = declaredSize(bytes);
  if (size && size.width * size.height > maxMegapixels * 1e6) {
    const megapixels = (size.width * size.height) / 1e6;
    throw new DataError(
      `image '${path}' declares ${size.width}x${size.height} pixels (${megapixels.toFixed(1)} megapixels), ` +
        `more than the ${maxMegapixels} allowed; raise maxMegapixels (--max-megapixels ${Math.ceil(megapixels)}) to allow it`,
      path,
    );
  }
  if (startsWith(bytes, PNG_SIGNATURE)) {
    const png = decodePng(bytes, path);
    const { width, height } = png;
    const data = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) data.set(png.data.subarray(i * 4, i * 4 + 3), i * 3);
    return { data, height, width, channels: 3 };
  }
  try {
    const decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxResolutionInMP: maxMegapixels, maxMemoryUsageInMB: Math.max(1024, 8 * maxMegapixels) });
    return { data: decoded.data, height: decoded.height, width: decoded.width, channels: 3 };
  } catch (error) {
    throw new DataError(`cannot decode '${path}' as JPEG: ${(error as Error).message}`, path);
  }
}

/**
 * A palette PNG's indices, [height, width, 1] uint8, as `PIL.Image.open(path)` gives them for a VOC
 * SegmentationClass mask (pixel values are class ids; 255 marks the void border). pngjs expands palettes
 * to RGBA, so the indices are recovered by looking each colour up in the file's own PLTE chunk.
 */
export function decodePaletteIndices(bytes: Uint8Array, path: string, options: DecodeOptions = {}): ByteImage {
  const maxMegapixels = options.maxMegapixels ?? DEFAULT_MAX_MEGAPIXELS;
  if (!startsWith(bytes, PNG_SIGNATURE)) throw new DataError(notAnImage(bytes, path) ?? `'${path}' is not a PNG`, path);
  const size = declaredSize(bytes);
  if (size && size.width * size.height > maxMegapixels * 1e6) {
    throw new DataError(`mask '${path}' declares ${size.width}x${size.height} pixels, more than the ${maxMegapixels} megapixels allowed`, path);
  }
  const palette = readPalette(bytes);
  const png = decodePng(bytes, path);
  const { width, height } = png;
  const data = new Uint8Array(width * height);
  if (palette) {
    const index = new Map<number, number>();
    for (let i = palette.length / 3 - 1; i >= 0; i--) index.set((palette[3 * i]! << 16) | (palette[3 * i + 1]! << 8) | palette[3 * i + 2]!, i);
    for (let p = 0; p < width * height; p++) {
      const colour = (png.data[4 * p]! << 16) | (png.data[4 * p + 1]! << 8) | png.data[4 * p + 2]!;
      const i = index.get(colour);
      if (i === undefined) throw new DataError(`mask '${path}' has a pixel whose colour is not in its palette`, path);
      data[p] = i;
    }
  } else {
    // A greyscale mask (as many tools write them): the grey level is the class id.
    for (let p = 0; p < width * height; p++) data[p] = png.data[4 * p]!;
  }
  return { data, height, width, channels: 1 };
}

function decodePng(bytes: Uint8Array, path: string): PNG {
  try {
    return PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw new DataError(`cannot decode '${path}' as PNG: ${(error as Error).message}`, path);
  }
}

/** The PLTE chunk's RGB triplets of a palette (colour type 3) PNG, else null. */
function readPalette(bytes: Uint8Array): Uint8Array | null {
  if (bytes.length < 26 || bytes[25] !== 3) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 8; i + 8 <= bytes.length; ) {
    const length = view.getUint32(i);
    const type = String.fromCharCode(bytes[i + 4]!, bytes[i + 5]!, bytes[i + 6]!, bytes[i + 7]!);
    if (type === 'PLTE') return bytes.subarray(i + 8, Math.min(bytes.length, i + 8 + length));
    if (type === 'IDAT') return null;
    i += 12 + length;
  }
  return null;
}
