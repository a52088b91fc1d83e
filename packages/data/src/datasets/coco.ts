import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { decodeImage, type DecodeOptions } from '../decode.js';
import { DataError } from '../errors.js';
import type { CocoGroundTruth } from '../eval/coco-eval.js';
import type { CocoImageRef, Dataset, DatasetSpec, Example } from './dataset.js';
import { readDataFile } from './files.js';

type CocoSpec = Extract<DatasetSpec, { kind: 'Coco' }>;

interface RawCoco {
  images?: { id?: unknown; file_name?: unknown; height?: unknown; width?: unknown }[];
  annotations?: { id?: unknown; image_id?: unknown; category_id?: unknown; bbox?: unknown; area?: unknown; iscrowd?: unknown }[];
  categories?: { id?: unknown; name?: unknown }[];
}

export interface CocoOptions extends DecodeOptions {
  /** Where the images are (default: for annotations/instances_val2017.json, the sibling folder val2017). */
  imageDir?: string;
}

/**
 * torchvision's CocoDetection over an instances_*.json: every image listed (with or without objects),
 * boxes converted from COCO's (x, y, w, h) to (x1, y1, x2, y2), category ids mapped to contiguous
 * labels in sorted id order (COCO's 80 categories have ids 1..90 with gaps), `iscrowd` kept as `crowd`.
 * The JSON is read once at construction; images are decoded when `get` asks.
 */
export class CocoDataset implements Dataset {
  readonly spec: CocoSpec;

  constructor(spec: CocoSpec) {
    this.spec = spec;
  }

  static open(annotations: string, options: CocoOptions = {}): CocoDataset {
    let raw: RawCoco;
    try {
      raw = JSON.parse(new TextDecoder().decode(readDataFile(annotations, 'COCO annotations'))) as RawCoco;
    } catch (error) {
      if (error instanceof DataError) throw error;
      throw new DataError(`COCO annotations '${annotations}' are not valid JSON: ${(error as Error).message}`, annotations);
    }
    const bad = (what: string) => new DataError(`COCO annotations '${annotations}': ${what}`, annotations);
    if (!raw || !Array.isArray(raw.images) || !Array.isArray(raw.annotations) || !Array.isArray(raw.categories)) {
      throw bad('need "images", "annotations" and "categories" arrays (an instances_*.json detection file)');
    }
    const categories = raw.categories.map((c, i) => {
      if (typeof c.id !== 'number') throw bad(`category ${i} has no numeric id`);
      return { id: c.id, name: String(c.name ?? c.id) };
    }).sort((a, b) => a.id - b.id);
    const labelOf = new Map(categories.map((c, i) => [c.id, i]));
    const images = new Map<number, CocoImageRef>();
    raw.images.forEach((im, i) => {
      if (typeof im.id !== 'number' || typeof im.file_name !== 'string') throw bad(`image ${i} needs a numeric "id" and a "file_name"`);
      images.set(im.id, { id: im.id, file: im.file_name, height: Number(im.height ?? 0), width: Number(im.width ?? 0), boxes: [], labels: [], crowd: [], areas: [] });
    });
    raw.annotations.forEach((a, i) => {
      const name = `annotation ${typeof a.id === 'number' ? a.id : `#${i}`}`;
      const image = images.get(a.image_id as number);
      if (!image) throw bad(`${name} is for image ${JSON.stringify(a.image_id)}, which "images" does not list`);
      const label = labelOf.get(a.category_id as number);
      if (label === undefined) throw bad(`${name} has category ${JSON.stringify(a.category_id)}, which "categories" does not list`);
      const b = a.bbox;
      if (!Array.isArray(b) || b.length !== 4 || b.some((v) => typeof v !== 'number' || !Number.isFinite(v)) || b[2] < 0 || b[3] < 0) {
        throw bad(`${name} has bbox ${JSON.stringify(b)}; COCO boxes are [x, y, width, height], width and height >= 0`);
      }
      image.boxes.push(b[0], b[1], b[0] + b[2], b[1] + b[3]);
      image.labels.push(label);
      image.crowd.push(a.iscrowd ? 1 : 0);
      image.areas.push(typeof a.area === 'number' ? a.area : b[2] * b[3]);
    });
    const imageDir = options.imageDir ?? defaultImageDir(annotations);
    if (!existsSync(imageDir)) throw new DataError(`COCO images folder '${imageDir}' does not exist; pass imageDir (--images) where ${basename(annotations)}'s images are`, imageDir);
    return new CocoDataset({
      kind: 'Coco', annotations, imageDir, images: [...images.values()], classes: categories.map((c) => c.name), categoryIds: categories.map((c) => c.id),
      ...(options.maxMegapixels === undefined ? {} : { maxMegapixels: options.maxMegapixels }),
    });
  }

  get length(): number {
    return this.spec.images.length;
  }

  get classes(): readonly string[] {
    return this.spec.classes;
  }

  /** Image [H, W, 3] uint8, boxes [K, 4] (x1, y1, x2, y2), labels [K] (contiguous), crowd [K]. */
  get(index: number): Example {
    const ref = this.spec.images[index];
    if (ref === undefined) throw new RangeError(`COCO index ${index} is outside 0 .. ${this.length - 1}`);
    const path = join(this.spec.imageDir, ref.file);
    const image = decodeImage(readDataFile(path, 'image'), path, this.spec.maxMegapixels === undefined ? {} : { maxMegapixels: this.spec.maxMegapixels });
    return { image, boxes: Float32Array.from(ref.boxes), labels: Int32Array.from(ref.labels), crowd: Uint8Array.from(ref.crowd), source: path };
  }

  /** The ground truth as `evaluateCoco` takes it, with COCO's own category ids and areas. */
  groundTruth(): CocoGroundTruth {
    let id = 1;
    const ids = this.spec.categoryIds;
    return {
      images: this.spec.images.map((im) => ({ id: im.id })),
      categories: ids.map((c) => ({ id: c })),
      annotations: this.spec.images.flatMap((im) => im.labels.map((label, k) => {
        const [x1, y1, x2, y2] = im.boxes.slice(4 * k, 4 * k + 4) as [number, number, number, number];
        return { id: id++, image_id: im.id, category_id: ids[label]!, bbox: [x1, y1, x2 - x1, y2 - y1] as [number, number, number, number], area: im.areas[k]!, iscrowd: im.crowd[k]! };
      })),
    };
  }
}

/** annotations/instances_val2017.json -> val2017 beside the annotations folder. */
function defaultImageDir(annotations: string): string {
  const split = basename(annotations).replace(/^instances_/, '').replace(/\.json$/, '');
  return join(dirname(dirname(annotations)), split);
}
