import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type Digits, loadDigits, splitDigits } from '@convkit/classifiers';
import { encodePng } from '../src/images.js';

/** A digit's 8x8 pixels (0..1) as bytes, light strokes on black as scikit-learn draws them. */
const bytesOf = (digits: Digits, i: number) => Uint8Array.from(digits.images.subarray(i * 64, (i + 1) * 64), (v) => Math.round(v * 255));

/** IDX (MNIST's format): magic 0x00000803 images / 0x00000801 labels, big-endian sizes, then the bytes. */
function idx(magic: number, dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

/**
 * The bundled digits (splitDigits: 1,438 train, 359 test) written as a user's files: `folder/train/<digit>/<n>.png`
 * and `folder/val/<digit>/<n>.png` (8x8 grey PNGs), and MNIST-format IDX files in `idx/`, the training
 * images gzipped and the rest plain, as the downloads come in either form.
 */
export async function writeDigitFiles(root: string): Promise<{ folder: string; idx: string; test: Digits }> {
  const { train, test } = splitDigits(await loadDigits());
  const folder = join(root, 'folder');
  for (const [split, digits] of [['train', train], ['val', test]] as const) {
    for (let i = 0; i < digits.count; i++) {
      const dir = join(folder, split, String(digits.labels[i]));
      mkdirSync(dir, { recursive: true });
      const grey = bytesOf(digits, i);
      const rgba = new Uint8Array(64 * 4);
      grey.forEach((v, p) => rgba.set([v, v, v, 255], 4 * p));
      writeFileSync(join(dir, `${i}.png`), encodePng(rgba, 8, 8));
    }
  }
  const idxDir = join(root, 'idx');
  mkdirSync(idxDir, { recursive: true });
  for (const [prefix, digits] of [['train', train], ['t10k', test]] as const) {
    const images = new Uint8Array(digits.count * 64);
    for (let i = 0; i < digits.count; i++) images.set(bytesOf(digits, i), i * 64);
    const imageFile = idx(0x803, [digits.count, 8, 8], images);
    if (prefix === 'train') writeFileSync(join(idxDir, `${prefix}-images-idx3-ubyte.gz`), gzipSync(imageFile));
    else writeFileSync(join(idxDir, `${prefix}-images-idx3-ubyte`), imageFile);
    writeFileSync(join(idxDir, `${prefix}-labels-idx1-ubyte`), idx(0x801, [digits.count], Uint8Array.from(digits.labels)));
  }
  return { folder, idx: idxDir, test };
}
