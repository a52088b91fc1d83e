import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { DataError } from '../errors.js';
import type { Dataset, DatasetSpec, Example } from './dataset.js';
import { readDataFile, requireDirectory } from './files.js';

/** IDX magic numbers: 0x00000803 (unsigned bytes, 3 dimensions) for images, 0x00000801 for labels. */
export const IDX_IMAGES_MAGIC = 2051;
export const IDX_LABELS_MAGIC = 2049;

const GZIP = [0x1f, 0x8b];

/**
 * The first `count` bytes of a file, decompressed when it is gzipped, without inflating the rest:
 * enough to read an IDX header before anything the size of the data is allocated.
 */
function head(bytes: Uint8Array, count: number): Uint8Array {
  if (bytes[0] !== GZIP[0] || bytes[1] !== GZIP[1]) return bytes.subarray(0, count);
  try {
    return gunzipSync(bytes.subarray(0, Math.min(bytes.length, 64 * 1024)), { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, count);
  } catch {
    return new Uint8Array(0);
  }
}

/**
 * Reads an IDX file (gzipped or not) whose header must carry `magic`, checking that the file holds
 * exactly the bytes its dimensions declare before allocating them. Returns the dimensions and the
 * payload (in a SharedArrayBuffer when `shared`).
 */
function readIdx(path: string, magic: number, shared: boolean): { dims: number[]; data: Uint8Array } {
  const what = magic === IDX_IMAGES_MAGIC ? 'IDX images file' : 'IDX labels file';
  const bytes = readDataFile(path, what);
  const ndims = magic === IDX_IMAGES_MAGIC ? 3 : 1;
  const headerSize = 4 + 4 * ndims;
  const header = head(bytes, headerSize);
  if (header.length < headerSize) throw new DataError(`${what} '${path}' ends inside its ${headerSize}-byte header${bytes[0] === GZIP[0] ? ' (or is not valid gzip)' : ''}`, path);
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const found = view.getUint32(0);
  if (found !== magic) {
    throw new DataError(`${what} '${path}' starts with magic number ${found}, not IDX's ${magic}${found === 2051 || found === 2049 ? ` (it is the ${found === 2051 ? 'images' : 'labels'} file: are the two swapped?)` : ''}`, path);
  }
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i));
  const expected = headerSize + dims.reduce((a, b) => a * b, 1);
  const gzipped = bytes[0] === GZIP[0] && bytes[1] === GZIP[1];
  if (gzipped) {
    // gzip's trailer holds the inflated size mod 2^32: a cheap check before inflating.
    const isize = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true);
    if (isize !== expected % 2 ** 32) throw new DataError(`${what} '${path}' declares ${dims.join('x')} values (${expected} bytes) but inflates to ${isize} bytes; the download is truncated or corrupt`, path);
  } else if (bytes.length !== expected) {
    throw new DataError(`${what} '${path}' declares ${dims.join('x')} values (${expected} bytes) but holds ${bytes.length} bytes; the download is truncated or corrupt`, path);
  }
  let whole = bytes;
  if (gzipped) {
    try {
      whole = gunzipSync(bytes, { maxOutputLength: expected });
    } catch (error) {
      throw new DataError(`${what} '${path}' is not valid gzip: ${(error as Error).message}`, path);
    }
    if (whole.length !== expected) throw new DataError(`${what} '${path}' inflates to ${whole.length} bytes, not the ${expected} its header declares`, path);
  }
  const data = shared ? new Uint8Array(new SharedArrayBuffer(expected - headerSize)) : new Uint8Array(expected - headerSize);
  data.set(whole.subarray(headerSize));
  return { dims, data };
}

/** `<prefix>-images-idx3-ubyte` or the `<prefix>-images.idx3-ubyte` some mirrors use, gzipped or not. */
function findIdx(dir: string, prefix: 'train' | 't10k', kind: 'images-idx3' | 'labels-idx1'): string | null {
  const names = new Set(readdirSync(dir));
  const [what, idx] = kind.split('-') as [string, string];
  for (const name of [`${prefix}-${what}-${idx}-ubyte`, `${prefix}-${what}.${idx}-ubyte`]) {
    for (const candidate of [name, `${name}.gz`]) if (names.has(candidate)) return join(dir, candidate);
  }
  return null;
}

/**
 * MNIST-format IDX files (MNIST, Fashion-MNIST, KMNIST): images [N, rows, cols] uint8 and labels
 * [N] uint8. The pixels are read once into shared memory, which every loader worker reads in place.
 */
export class IdxDataset implements Dataset {
  readonly spec: Extract<DatasetSpec, { kind: 'Idx' }>;
  readonly classes: readonly string[];

  constructor(spec: Extract<DatasetSpec, { kind: 'Idx' }>) {
    this.spec = spec;
    let max = 0;
    for (const label of spec.labels) max = Math.max(max, label);
    this.classes = Array.from({ length: max + 1 }, (_, i) => String(i));
  }

  /** Reads an images file and a labels file (each gzipped or not). */
  static open(imagesPath: string, labelsPath: string): IdxDataset {
    const images = readIdx(imagesPath, IDX_IMAGES_MAGIC, true);
    const labels = readIdx(labelsPath, IDX_LABELS_MAGIC, false);
    const [count, height, width] = images.dims as [number, number, number];
    if (labels.dims[0] !== count) throw new DataError(`IDX labels file '${labelsPath}' holds ${labels.dims[0]} labels for the ${count} images of '${imagesPath}'`, labelsPath);
    if (count === 0 || height === 0 || width === 0) throw new DataError(`IDX images file '${imagesPath}' holds no images (${count}x${height}x${width})`, imagesPath);
    return new IdxDataset({ kind: 'Idx', source: imagesPath, images: images.data.buffer as SharedArrayBuffer, labels: labels.data, count, height, width });
  }

  /** The `train-*` (split 'train') or `t10k-*` (split 'test') pair in a folder. */
  static openFolder(dir: string, split: 'train' | 'test'): IdxDataset {
    requireDirectory(dir, 'IDX folder');
    const prefix = split === 'train' ? 'train' : 't10k';
    const images = findIdx(dir, prefix, 'images-idx3');
    const labels = findIdx(dir, prefix, 'labels-idx1');
    if (!images || !labels) {
      throw new DataError(`IDX folder '${dir}' lacks ${!images ? `${prefix}-images-idx3-ubyte` : `${prefix}-labels-idx1-ubyte`} (or the same name with .gz)`, dir);
    }
    return IdxDataset.open(images, labels);
  }

  /** Whether `dir` holds an IDX images file of the split (for recognising a data path). */
  static hasSplit(dir: string, split: 'train' | 'test'): boolean {
    return existsSync(dir) && findIdx(dir, split === 'train' ? 'train' : 't10k', 'images-idx3') !== null;
  }

  get length(): number {
    return this.spec.count;
  }

  /** Item `index`: image [rows, cols, 1] uint8 (a copy) and its label. */
  get(index: number): Example {
    const { count, height, width } = this.spec;
    if (!(index >= 0 && index < count)) throw new RangeError(`IDX index ${index} is outside 0 .. ${count - 1}`);
    const size = height * width;
    const data = new Uint8Array(this.spec.images, index * size, size).slice();
    return { image: { data, height, width, channels: 1 }, label: this.spec.labels[index]!, source: `${this.spec.source}#${index}` };
  }
}
