import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { decodeImage, decodePaletteIndices, type DecodeOptions } from '../decode.js';
import { DataError } from '../errors.js';
import type { Dataset, DatasetSpec, Example } from './dataset.js';
import { readDataFile, requireDirectory } from './files.js';

/** Pascal VOC's 20 object classes, in the devkit's order (detection label i is VOC_CLASSES[i]). */
export const VOC_CLASSES = [
  'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
  'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
] as const;

/** Segmentation classes: 0 is background, 1..20 the objects; mask pixels of 255 are the void border. */
export const VOC_SEGMENTATION_CLASSES = ['background', ...VOC_CLASSES] as const;

export interface VocOptions extends DecodeOptions {
  /** An ImageSets split: 'train', 'val', 'trainval' or 'test' (default 'train'). */
  split?: string;
  /** Boxes from Annotations (default) or masks from SegmentationClass. */
  task?: 'detection' | 'segmentation';
  /** Keep objects marked difficult, flagged in `difficult` (default true, as evaluation needs them). */
  keepDifficult?: boolean;
}

type VocSpec = Extract<DatasetSpec, { kind: 'Voc' }>;

const parser = new XMLParser({ isArray: (name) => name === 'object', parseTagValue: false });

/** A VOC annotation file -> boxes [K, 4] (continuous: xmin - 1, ymin - 1, xmax, ymax), labels [K], difficult [K]. */
export function parseVocAnnotation(xml: string, path: string, keepDifficult = true): { boxes: Float32Array; labels: Int32Array; difficult: Uint8Array } {
  let doc: { annotation?: { object?: { name?: unknown; difficult?: unknown; bndbox?: Record<string, unknown> }[] } };
  try {
    doc = parser.parse(xml, true);
  } catch (error) {
    throw new DataError(`'${path}' is not valid XML: ${(error as Error).message.split('\n')[0]}`, path);
  }
  if (!doc.annotation) throw new DataError(`'${path}' has no <annotation> element; it is not a VOC annotation`, path);
  const objects = doc.annotation.object ?? [];
  const boxes: number[] = [], labels: number[] = [], difficult: number[] = [];
  objects.forEach((o, i) => {
    const name = String(o.name ?? '').trim();
    const label = VOC_CLASSES.indexOf(name as (typeof VOC_CLASSES)[number]);
    if (label < 0) throw new DataError(`'${path}' object ${i + 1} has class '${name}', not one of VOC's 20 (${VOC_CLASSES.join(', ')})`, path);
    const hard = String(o.difficult ?? '0').trim() === '1' ? 1 : 0;
    if (hard && !keepDifficult) return;
    const coords = ['xmin', 'ymin', 'xmax', 'ymax'].map((k) => Number(String(o.bndbox?.[k] ?? '').trim()));
    if (!o.bndbox || coords.some((v) => !Number.isFinite(v)) || coords[2]! < coords[0]! || coords[3]! < coords[1]!) {
      throw new DataError(`'${path}' object ${i + 1} ('${name}') has no valid <bndbox> (xmin <= xmax, ymin <= ymax numbers)`, path);
    }
    // The devkit's boxes are 1-based inclusive pixels: pixel xmin .. xmax spans [xmin - 1, xmax) continuously.
    boxes.push(coords[0]! - 1, coords[1]! - 1, coords[2]!, coords[3]!);
    labels.push(label);
    difficult.push(hard);
  });
  return { boxes: Float32Array.from(boxes), labels: Int32Array.from(labels), difficult: Uint8Array.from(difficult) };
}

/**
 * torchvision's VOCDetection and VOCSegmentation over a VOC20xx folder (Annotations, JPEGImages,
 * ImageSets/Main or ImageSets/Segmentation, SegmentationClass). Only the split's image ids are read
 * at construction; each item's XML, JPEG and mask are read when `get` asks.
 */
export class VocDataset implements Dataset {
  readonly spec: VocSpec;

  constructor(spec: VocSpec) {
    this.spec = spec;
  }

  /** Opens `root`, the folder holding JPEGImages (VOCdevkit/VOC2012, say). */
  static open(root: string, options: VocOptions = {}): VocDataset {
    requireDirectory(root, 'VOC folder');
    const task = options.task ?? 'detection';
    const split = options.split ?? 'train';
    if (!existsSync(join(root, 'JPEGImages'))) {
      const inner = ['VOC2012', 'VOC2007'].map((y) => join(root, y)).find((p) => existsSync(join(p, 'JPEGImages')));
      throw new DataError(`VOC folder '${root}' has no JPEGImages${inner ? `; did you mean '${inner}'?` : '; pass the VOC20xx folder that holds Annotations and JPEGImages'}`, root);
    }
    const list = join(root, 'ImageSets', task === 'detection' ? 'Main' : 'Segmentation', `${split}.txt`);
    if (!existsSync(list)) throw new DataError(`VOC folder '${root}' has no split '${split}' for ${task} (${list} is missing)`, list);
    const ids = readFileSync(list, 'utf8').split(/\r?\n/).map((line) => line.trim().split(/\s+/)[0]!).filter((id) => id.length > 0);
    if (ids.length === 0) throw new DataError(`VOC split file '${list}' lists no images`, list);
    const classes = [...(task === 'detection' ? VOC_CLASSES : VOC_SEGMENTATION_CLASSES)];
    return new VocDataset({ kind: 'Voc', root, task, ids, classes, keepDifficult: options.keepDifficult ?? true, ...(options.maxMegapixels === undefined ? {} : { maxMegapixels: options.maxMegapixels }) });
  }

  get length(): number {
    return this.spec.ids.length;
  }

  get classes(): readonly string[] {
    return this.spec.classes;
  }

  /**
   * Detection: image [H, W, 3] uint8, boxes [K, 4], labels [K] (indices into VOC_CLASSES), difficult [K].
   * Segmentation: image [H, W, 3] uint8 and mask [H, W, 1] uint8 (0 background, 1..20, 255 void).
   */
  get(index: number): Example {
    const id = this.spec.ids[index];
    if (id === undefined) throw new RangeError(`VOC index ${index} is outside 0 .. ${this.length - 1}`);
    const { root, maxMegapixels } = this.spec;
    const decode = maxMegapixels === undefined ? {} : { maxMegapixels };
    const imagePath = join(root, 'JPEGImages', `${id}.jpg`);
    const image = decodeImage(readDataFile(imagePath, 'image'), imagePath, decode);
    if (this.spec.task === 'segmentation') {
      const maskPath = join(root, 'SegmentationClass', `${id}.png`);
      const mask = decodePaletteIndices(readDataFile(maskPath, 'mask'), maskPath, decode);
      if (mask.height !== image.height || mask.width !== image.width) {
        throw new DataError(`mask '${maskPath}' is ${mask.width}x${mask.height}, its image '${imagePath}' ${image.width}x${image.height}`, maskPath);
      }
      for (const v of mask.data) {
        if (v > 20 && v !== 255) throw new DataError(`mask '${maskPath}' holds class ${v}; VOC masks hold 0..20 and 255 (void)`, maskPath);
      }
      return { image, mask, source: imagePath };
    }
    const xmlPath = join(root, 'Annotations', `${id}.xml`);
    const target = parseVocAnnotation(new TextDecoder().decode(readDataFile(xmlPath, 'annotation')), xmlPath, this.spec.keepDifficult);
    return { image, ...target, source: imagePath };
  }
}
