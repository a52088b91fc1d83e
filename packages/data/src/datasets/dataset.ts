import type { Sample } from '../transforms/transform.js';

/** One item of a data set, decoded: the sample, its class for classification, and where it came from. */
export interface Example extends Sample {
  /** The class index, 0 .. classes.length - 1 (classification sets). */
  label?: number;
  /** The file (and for IDX, the record) the example was read from, for error messages. */
  source: string;
}

/**
 * A data set as plain data, so a worker thread can rebuild it with `datasetFromSpec`: file lists and
 * options, never decoded pixels (IDX images travel as one SharedArrayBuffer every worker reads).
 */
export type DatasetSpec =
  | { kind: 'ImageFolder'; root: string; classes: string[]; files: string[]; labels: Int32Array; maxMegapixels?: number }
  | { kind: 'Idx'; source: string; images: SharedArrayBuffer; labels: Uint8Array; count: number; height: number; width: number }
  | { kind: 'Voc'; root: string; task: 'detection' | 'segmentation'; ids: string[]; classes: string[]; keepDifficult: boolean; maxMegapixels?: number }
  | { kind: 'Coco'; annotations: string; imageDir: string; images: CocoImageRef[]; classes: string[]; categoryIds: number[]; maxMegapixels?: number };

/** A COCO image with its annotations, mapped to contiguous labels. */
export interface CocoImageRef {
  id: number;
  file: string;
  height: number;
  width: number;
  /** [K, 4] (x1, y1, x2, y2), from COCO's (x, y, w, h). */
  boxes: number[];
  labels: number[];
  crowd: number[];
  /** [K] the annotations' areas (COCO's segmentation areas), for small/medium/large in evaluation. */
  areas: number[];
}

/**
 * A map-style data set, as torchvision's: `length` items, each decoded only when `get` asks for it,
 * so a folder of 100,000 photos holds 100,000 file names in memory, not 100,000 pictures.
 */
export interface Dataset {
  readonly length: number;
  /** The class names; index i is label i. */
  readonly classes: readonly string[];
  /** Plain data a worker rebuilds the set from; a set without one (your own class) loads with workers: 0. */
  readonly spec?: DatasetSpec;
  /** Reads and decodes item `index`; throws a DataError naming the file when it is corrupt. */
  get(index: number): Example;
}
