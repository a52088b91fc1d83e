import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { idxBytes, jpegBytes, pngBytes, solid, tempDir, writeFile } from '../test/write-files.js';
import { detectFormat, openDataset } from './open.js';

describe('openDataset', () => {
  it('recognises each format from its path', () => {
    const root = tempDir();
    writeFile(join(root, 'photos', 'cat', '1.png'), pngBytes(solid(2, 2, [0, 0, 0]), 2, 2));
    writeFile(join(root, 'mnist', 't10k-images-idx3-ubyte.gz'), '');
    writeFile(join(root, 'mnist', 'train-images-idx3-ubyte'), idxBytes(2051, [1, 1, 1], new Uint8Array(1)));
    writeFile(join(root, 'mnist', 'train-labels-idx1-ubyte'), idxBytes(2049, [1], new Uint8Array(1)));
    writeFile(join(root, 'VOC2012', 'JPEGImages', 'a.jpg'), jpegBytes(solid(2, 2, [0, 0, 0]), 2, 2));
    writeFile(join(root, 'coco', 'annotations', 'instances_val.json'), JSON.stringify({ images: [], annotations: [], categories: [] }));
    writeFile(join(root, 'coco', 'val', '.keep'), '');
    expect(['photos', 'mnist', 'VOC2012', join('coco', 'annotations', 'instances_val.json')].map((p) => detectFormat(join(root, p)))).toEqual(['image-folder', 'idx', 'voc', 'coco']);
    expect(openDataset(join(root, 'photos')).dataset.classes).toEqual(['cat']);
    expect(openDataset(join(root, 'mnist')).dataset.length).toBe(1);
    expect(openDataset(join(root, 'coco', 'annotations', 'instances_val.json')).dataset.length).toBe(0);
    expect(() => openDataset(join(root, 'mnist'), { split: 'val' })).toThrow(`IDX folder '${join(root, 'mnist')}' has splits 'train' and 'test', not 'val'`);
    expect(() => detectFormat(join(root, 'nothing'))).toThrow(`data path '${join(root, 'nothing')}' does not exist`);
    expect(() => detectFormat(join(root, 'photos', 'cat', '1.png'))).toThrow(/is a file but not a COCO \.json/);
  });
});
