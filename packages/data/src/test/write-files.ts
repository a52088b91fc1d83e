import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** A fresh temporary folder for one test's files. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'convkit-data-'));
}

export function writeFile(path: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

/** RGB [h, w, 3] uint8 -> PNG bytes (8-bit RGBA, as pngjs writes). */
export function pngBytes(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    png.data.set(rgb.subarray(3 * i, 3 * i + 3), 4 * i);
    png.data[4 * i + 3] = 255;
  }
  return new Uint8Array(PNG.sync.write(png));
}

/** RGB [h, w, 3] uint8 -> baseline JPEG bytes. */
export function jpegBytes(rgb: Uint8Array, width: number, height: number, quality = 95): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba.set(rgb.subarray(3 * i, 3 * i + 3), 4 * i);
    rgba[4 * i + 3] = 255;
  }
  return new Uint8Array(jpeg.encode({ data: rgba, width, height }, quality).data);
}

/** An IDX file as MNIST ships it: magic, big-endian uint32 dimensions, then the bytes. */
export function idxBytes(magic: number, dims: number[], data: Uint8Array): Uint8Array {
  const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  header.setUint32(0, magic);
  dims.forEach((d, i) => header.setUint32(4 + 4 * i, d));
  const out = new Uint8Array(header.byteLength + data.length);
  out.set(new Uint8Array(header.buffer));
  out.set(data, header.byteLength);
  return out;
}

export const gzip = (bytes: Uint8Array) => new Uint8Array(gzipSync(bytes));

/** A solid-colour RGB picture [h, w, 3]. */
export function solid(height: number, width: number, rgb: [number, number, number]): Uint8Array {
  const out = new Uint8Array(height * width * 3);
  for (let i = 0; i < height * width; i++) out.set(rgb, 3 * i);
  return out;
}
