import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { decodeImage, type DecodeOptions } from '../decode.js';
import { DataError } from '../errors.js';
import type { Dataset, DatasetSpec, Example } from './dataset.js';
import { readDataFile, requireDirectory } from './files.js';

/** The extensions convkit decodes (PNG and JPEG); torchvision's other image extensions are counted as skipped. */
const DECODED = new Set(['.png', '.jpg', '.jpeg']);
const OTHER_IMAGES = new Set(['.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp']);

/** Every file under `dir`, recursively, sorted as torchvision's `os.walk` + `sorted` visits them. */
function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat?.isDirectory()) walk(path, out);
    else if (stat?.isFile()) out.push(path);
  }
}

/**
 * torchvision's `ImageFolder`: `root/<class>/<any subfolders>/<image>`, classes in sorted folder-name order, files
 * in sorted order within each class; only the names are read at construction, each image is decoded
 * (to [H, W, 3] uint8 RGB) when `get` asks for it.
 */
export class ImageFolder implements Dataset {
  readonly spec: Extract<DatasetSpec, { kind: 'ImageFolder' }>;
  /** Files with an image extension convkit does not decode (BMP, TIFF, WebP, ...), left out. */
  readonly skippedFormats: string[];

  constructor(spec: Extract<DatasetSpec, { kind: 'ImageFolder' }>, skippedFormats: string[] = []) {
    this.spec = spec;
    this.skippedFormats = skippedFormats;
  }

  /** Scans `root` for class folders and their PNG and JPEG files. */
  static open(root: string, options: DecodeOptions = {}): ImageFolder {
    requireDirectory(root, 'image folder');
    const classes = readdirSync(root)
      .filter((name) => statSync(join(root, name), { throwIfNoEntry: false })?.isDirectory())
      .sort();
    if (classes.length === 0) throw new DataError(`image folder '${root}' has no class folders; put each class's images in its own subfolder (root/cat/1.jpg, root/dog/2.png)`, root);
    const files: string[] = [];
    const labels: number[] = [];
    const skippedFormats: string[] = [];
    const empty: string[] = [];
    classes.forEach((name, label) => {
      const all: string[] = [];
      walk(join(root, name), all);
      const before = files.length;
      for (const path of all) {
        const ext = extname(path).toLowerCase();
        if (DECODED.has(ext)) {
          files.push(path);
          labels.push(label);
        } else if (OTHER_IMAGES.has(ext)) skippedFormats.push(path);
      }
      if (files.length === before) empty.push(name);
    });
    if (empty.length) {
      throw new DataError(`image folder '${root}': class folder${empty.length > 1 ? 's' : ''} ${empty.map((e) => `'${e}'`).join(', ')} hold${empty.length > 1 ? '' : 's'} no PNG or JPEG files; remove ${empty.length > 1 ? 'them' : 'it'} or add images`, root);
    }
    const spec = { kind: 'ImageFolder' as const, root, classes, files, labels: Int32Array.from(labels), ...(options.maxMegapixels === undefined ? {} : { maxMegapixels: options.maxMegapixels }) };
    return new ImageFolder(spec, skippedFormats);
  }

  get length(): number {
    return this.spec.files.length;
  }

  get classes(): readonly string[] {
    return this.spec.classes;
  }

  /** Item `index`: image [H, W, 3] uint8 RGB and its class. */
  get(index: number): Example {
    const path = this.spec.files[index];
    if (path === undefined) throw new RangeError(`ImageFolder index ${index} is outside 0 .. ${this.length - 1}`);
    const image = decodeImage(readDataFile(path, 'image'), path, this.spec.maxMegapixels === undefined ? {} : { maxMegapixels: this.spec.maxMegapixels });
    return { image, label: this.spec.labels[index]!, source: path };
  }
}
