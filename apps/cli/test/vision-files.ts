import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { type DetectionSample, syntheticShapes } from '@convkit/detection';
import { makeShapes } from '@convkit/segmentation';

function write(path: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

/** RGB or RGBA bytes [h, w, 3 or 4] -> a baseline JPEG, as VOC's JPEGImages and COCO's image folders hold. */
function jpegOf(data: ArrayLike<number>, width: number, height: number): Uint8Array {
  const stride = data.length / (width * height);
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) rgba[4 * p + c] = data[stride * p + c]!;
    rgba[4 * p + 3] = 255;
  }
  return new Uint8Array(jpeg.encode({ data: rgba, width, height }, 95).data);
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** The VOC devkit's colour map (VOClabelcolormap.m): class i's colour from the bits of i; 255 (void) is cream. */
function vocPalette(): Uint8Array {
  const palette = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    let r = 0, g = 0, b = 0;
    for (let j = 0, c = i; j < 8; j++, c >>= 3) {
      r |= (c & 1) << (7 - j);
      g |= ((c >> 1) & 1) << (7 - j);
      b |= ((c >> 2) & 1) << (7 - j);
    }
    palette.set([r, g, b], 3 * i);
  }
  return palette;
}

/** Class indices [h, w] as an 8-bit palette PNG (colour type 3), as VOC's SegmentationClass files are. */
function palettePng(indices: Uint8Array, width: number, height: number): Uint8Array {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 3, 0, 0, 0], 8);
  const raw = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++) raw.set(indices.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', header), pngChunk('PLTE', vocPalette()),
    pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/** A VOC annotation as the devkit writes it: 1-based inclusive pixel boxes, a difficult flag per object. */
function vocXml(id: string, width: number, height: number, objects: { name: string; box: number[]; difficult: boolean }[]): string {
  return `<annotation>
\t<folder>VOC2012</folder>
\t<filename>${id}.jpg</filename>
\t<size>
\t\t<width>${width}</width>
\t\t<height>${height}</height>
\t\t<depth>3</depth>
\t</size>
\t<segmented>0</segmented>
${objects.map((o) => `\t<object>
\t\t<name>${o.name}</name>
\t\t<pose>Unspecified</pose>
\t\t<truncated>0</truncated>
\t\t<difficult>${o.difficult ? 1 : 0}</difficult>
\t\t<bndbox>
\t\t\t<xmin>${o.box[0]! + 1}</xmin>
\t\t\t<ymin>${o.box[1]! + 1}</ymin>
\t\t\t<xmax>${o.box[2]}</xmax>
\t\t\t<ymax>${o.box[3]}</ymax>
\t\t</bndbox>
\t</object>`).join('\n')}
</annotation>
`;
}

/** The shapes' three classes as VOC classes, by shape label (disc, square, triangle). */
export const VOC_NAMES = ['aeroplane', 'cat', 'person'] as const;
/** Their labels among VOC's 20 detection classes and 21 segmentation classes (0 is the background). */
export const VOC_LABELS = [0, 7, 14] as const;
/** COCO category ids with gaps, as COCO's own (1..90 for 80 classes). */
export const COCO_CATEGORIES = [{ id: 2, name: 'disc' }, { id: 5, name: 'square' }, { id: 9, name: 'triangle' }] as const;

export interface VisionFiles {
  /** VOCdevkit/VOC2012: Main train 12 / val 6 images of 80x80; Segmentation train 16 / val 6 images of 32x32 and 40x40. */
  voc: string;
  /** COCO annotations/instances_train.json (12 images of 64x64) with images in train/. */
  cocoTrain: string;
  /** annotations/instances_val.json (6 images, one without objects, one crowd region), images in val/. */
  cocoVal: string;
  /** What the files say, for tests to compare with. */
  vocDetection: { train: DetectionSample[]; val: DetectionSample[] };
}

/**
 * Small detection and segmentation data sets in the real formats' layouts, drawn from the packages'
 * synthetic shapes: a VOC2012 root (Annotations/*.xml, JPEGImages/*.jpg, ImageSets/Main and
 * Segmentation/{train,val}.txt, SegmentationClass palette PNGs with VOC's 255 void border around each
 * object) and COCO instances_{train,val}.json (x, y, w, h boxes, areas, iscrowd, category ids with gaps).
 * In the VOC val split the first object of the first image is marked difficult.
 */
export function writeVisionFiles(root: string): VisionFiles {
  const voc = join(root, 'VOCdevkit', 'VOC2012');
  const vocDetection = { train: syntheticShapes({ count: 12, size: 80, seed: 11 }), val: syntheticShapes({ count: 6, size: 80, seed: 12 }) };
  for (const [split, samples] of Object.entries(vocDetection)) {
    const ids = samples.map((_, i) => `2012_${split === 'train' ? 1 : 2}${String(i).padStart(5, '0')}`);
    samples.forEach((s, i) => {
      write(join(voc, 'JPEGImages', `${ids[i]}.jpg`), jpegOf(s.image.data, s.image.width, s.image.height));
      const objects = [...s.labels].map((label, k) => ({ name: VOC_NAMES[label]!, box: [...s.boxes.subarray(4 * k, 4 * k + 4)], difficult: split === 'val' && i === 0 && k === 0 }));
      write(join(voc, 'Annotations', `${ids[i]}.xml`), vocXml(ids[i]!, s.image.width, s.image.height, objects));
    });
    write(join(voc, 'ImageSets', 'Main', `${split}.txt`), ids.map((id) => `${id}\n`).join(''));
  }
  for (const [split, scenes] of [['train', makeShapes({ count: 16, size: 32, seed: 21 })], ['val', makeShapes({ count: 6, size: 40, seed: 22 })]] as const) {
    const { size } = scenes;
    const ids = Array.from({ length: scenes.count }, (_, i) => `2011_${split === 'train' ? 3 : 4}${String(i).padStart(5, '0')}`);
    for (let i = 0; i < scenes.count; i++) {
      const pixels = scenes.images.subarray(i * size * size * 3, (i + 1) * size * size * 3);
      write(join(voc, 'JPEGImages', `${ids[i]}.jpg`), jpegOf(Uint8Array.from(pixels, (v) => Math.round(v * 255)), size, size));
      const classes = scenes.masks.subarray(i * size * size, (i + 1) * size * size);
      const mask = Uint8Array.from(classes, (c) => (c === 0 ? 0 : VOC_LABELS[c - 1]! + 1));
      // VOC's void: object pixels with a neighbour of another class.
      const border = (p: number) => {
        const [y, x] = [Math.floor(p / size), p % size];
        return [[y - 1, x], [y + 1, x], [y, x - 1], [y, x + 1]].some(([v, u]) => v! >= 0 && v! < size && u! >= 0 && u! < size && classes[v! * size + u!] !== classes[p]);
      };
      const voided = mask.map((c, p) => (c !== 0 && border(p) ? 255 : c));
      write(join(voc, 'SegmentationClass', `${ids[i]}.png`), palettePng(voided, size, size));
      write(join(voc, 'Annotations', `${ids[i]}.xml`), vocXml(ids[i]!, size, size, []));
    }
    write(join(voc, 'ImageSets', 'Segmentation', `${split}.txt`), ids.map((id) => `${id}\n`).join(''));
  }

  const coco = join(root, 'coco');
  const files = { train: join(coco, 'annotations', 'instances_train.json'), val: join(coco, 'annotations', 'instances_val.json') };
  let annotationId = 100;
  for (const [split, samples] of [['train', syntheticShapes({ count: 12, size: 64, seed: 31 })], ['val', syntheticShapes({ count: 6, size: 64, seed: 32 })]] as const) {
    const images = samples.map((s, i) => ({ id: 1000 * (split === 'train' ? 1 : 2) + 7 * i, file_name: `${split}_${i}.jpg`, height: s.image.height, width: s.image.width }));
    const annotations = samples.flatMap((s, i) => {
      // The last val image is listed without objects, as COCO lists some.
      if (split === 'val' && i === samples.length - 1) return [];
      return [...s.labels].map((label, k) => {
        const [x1, y1, x2, y2] = s.boxes.subarray(4 * k, 4 * k + 4) as unknown as number[];
        return {
          id: annotationId++, image_id: images[i]!.id, category_id: COCO_CATEGORIES[label]!.id, bbox: [x1!, y1!, x2! - x1!, y2! - y1!],
          area: (x2! - x1!) * (y2! - y1!) * 0.8, iscrowd: split === 'val' && i === 1 && k === 0 ? 1 : 0, segmentation: [],
        };
      });
    });
    samples.forEach((s, i) => write(join(coco, split, images[i]!.file_name), jpegOf(s.image.data, s.image.width, s.image.height)));
    write(files[split], JSON.stringify({ info: { description: 'convkit test shapes' }, licenses: [], images, annotations, categories: COCO_CATEGORIES.map((c) => ({ supercategory: 'shape', ...c })) }));
  }
  return { voc, cocoTrain: files.train, cocoVal: files.val, vocDetection };
}
