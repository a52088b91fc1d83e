import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DecodeOptions } from '../decode.js';
import { DataError } from '../errors.js';
import { CocoDataset } from './coco.js';
import type { Dataset } from './dataset.js';
import { IdxDataset } from './idx.js';
import { ImageFolder } from './image-folder.js';
import { VocDataset } from './voc.js';

export type DatasetFormat = 'image-folder' | 'idx' | 'voc' | 'coco';

export interface OpenOptions extends DecodeOptions {
  /** 'train' (default), 'test' (IDX t10k-*), 'val' or another ImageSets split (VOC). */
  split?: string;
  /** VOC only: boxes (default) or masks. */
  task?: 'detection' | 'segmentation';
  /** COCO only: the images folder, when it is not the split's folder beside annotations/. */
  imageDir?: string;
}

/**
 * Recognises a data set from its path, as `convkit train --data` does: a .json file is COCO
 * instances, a folder with JPEGImages a VOC root, a folder with train-/t10k- IDX files MNIST-format,
 * and any other folder of class folders an ImageFolder.
 */
export function detectFormat(path: string): DatasetFormat {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) throw new DataError(`data path '${path}' does not exist`, path);
  if (stat.isFile()) {
    if (path.endsWith('.json')) return 'coco';
    throw new DataError(`data path '${path}' is a file but not a COCO .json; pass a folder (of class folders, of IDX files, or a VOC20xx root) or an instances_*.json`, path);
  }
  if (existsSync(join(path, 'JPEGImages'))) return 'voc';
  if (readdirSync(path).some((name) => /^(train|t10k)-(images|labels)[-.]idx[13]-ubyte(\.gz)?$/.test(name))) return 'idx';
  return 'image-folder';
}

/** Opens the data set at `path` in the format `detectFormat` recognises. */
export function openDataset(path: string, options: OpenOptions = {}): { format: DatasetFormat; dataset: Dataset } {
  const format = detectFormat(path);
  const decode = options.maxMegapixels === undefined ? {} : { maxMegapixels: options.maxMegapixels };
  const split = options.split ?? 'train';
  switch (format) {
    case 'coco':
      return { format, dataset: CocoDataset.open(path, { ...decode, ...(options.imageDir === undefined ? {} : { imageDir: options.imageDir }) }) };
    case 'voc':
      return { format, dataset: VocDataset.open(path, { ...decode, split, task: options.task ?? 'detection' }) };
    case 'idx':
      if (split !== 'train' && split !== 'test') throw new DataError(`IDX folder '${path}' has splits 'train' and 'test', not '${split}'`, path);
      return { format, dataset: IdxDataset.openFolder(path, split) };
    case 'image-folder':
      return { format, dataset: ImageFolder.open(path, decode) };
  }
}
