import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gzip, idxBytes, tempDir, writeFile } from '../test/write-files.js';
import { IdxDataset } from './idx.js';

const pixels = Uint8Array.from({ length: 3 * 2 * 4 }, (_, i) => i * 7);
const labels = Uint8Array.from([3, 0, 9]);

describe('IdxDataset', () => {
  it.each([
    ['plain', (b: Uint8Array) => b, ''],
    ['gzipped', gzip, '.gz'],
  ])('reads %s MNIST files by their real names', (_, encode, ext) => {
    const dir = tempDir();
    writeFile(join(dir, `t10k-images-idx3-ubyte${ext}`), encode(idxBytes(2051, [3, 2, 4], pixels)));
    writeFile(join(dir, `t10k-labels-idx1-ubyte${ext}`), encode(idxBytes(2049, [3], labels)));
    expect(IdxDataset.hasSplit(dir, 'test')).toBe(true);
    expect(IdxDataset.hasSplit(dir, 'train')).toBe(false);
    const set = IdxDataset.openFolder(dir, 'test');
    expect(set.length).toBe(3);
    expect(set.classes).toHaveLength(10);
    const item = set.get(2);
    expect([item.image.height, item.image.width, item.image.channels, item.label]).toEqual([2, 4, 1, 9]);
    expect(Array.from(item.image.data)).toEqual(Array.from(pixels.subarray(16, 24)));
    expect(set.spec.images).toBeInstanceOf(SharedArrayBuffer);
  });

  it('refuses wrong magic numbers, truncated and oversized files, and mismatched counts, naming the file', () => {
    const dir = tempDir();
    const images = join(dir, 'train-images-idx3-ubyte'), labelsPath = join(dir, 'train-labels-idx1-ubyte');
    writeFile(labelsPath, idxBytes(2049, [3], labels));
    writeFile(images, idxBytes(2049, [3, 2, 4], pixels));
    expect(() => IdxDataset.open(images, labelsPath)).toThrow(`IDX images file '${images}' starts with magic number 2049, not IDX's 2051 (it is the labels file: are the two swapped?)`);
    writeFile(images, idxBytes(2051, [3, 2, 4], pixels.subarray(0, 20)));
    expect(() => IdxDataset.open(images, labelsPath)).toThrow(`IDX images file '${images}' declares 3x2x4 values (40 bytes) but holds 36 bytes; the download is truncated or corrupt`);
    // A header declaring 4 billion images is refused before anything that size is allocated.
    writeFile(images, gzip(idxBytes(2051, [4_000_000_000, 28, 28], pixels)));
    expect(() => IdxDataset.open(images, labelsPath)).toThrow(/declares 4000000000x28x28 values .* but inflates to 40 bytes/);
    writeFile(images, idxBytes(2051, [3, 2, 4], pixels).subarray(0, 10));
    expect(() => IdxDataset.open(images, labelsPath)).toThrow(`IDX images file '${images}' ends inside its 16-byte header`);
    writeFile(images, idxBytes(2051, [3, 2, 4], pixels));
    writeFile(labelsPath, idxBytes(2049, [2], labels.subarray(0, 2)));
    expect(() => IdxDataset.open(images, labelsPath)).toThrow(`IDX labels file '${labelsPath}' holds 2 labels for the 3 images of '${images}'`);
    expect(() => IdxDataset.openFolder(join(dir, 'none'), 'train')).toThrow(`IDX folder '${join(dir, 'none')}' does not exist`);
    expect(() => IdxDataset.openFolder(dir, 'test')).toThrow(`IDX folder '${dir}' lacks t10k-images-idx3-ubyte (or the same name with .gz)`);
  });
});
