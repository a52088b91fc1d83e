import { readNpy } from '@convkit/core';

/** The 1,797 8x8 handwritten digits of scikit-learn (UCI optdigits), ready for a convnet. */
export interface Digits {
  /** [count, 8, 8, 1] float32, the 0..16 pixel counts scaled to 0..1, row-major NHWC. */
  images: Float32Array;
  /** [count] class labels 0..9. */
  labels: Int32Array;
  count: number;
}

const DATA = new URL('../../data/', import.meta.url);

/**
 * Reads the digits shipped in this package's data/ folder (Node only: it uses node:fs). The order is
 * scikit-learn's; see `splitDigits` for the fixed train/test split the tests and docs use.
 */
export async function loadDigits(): Promise<Digits> {
  const { readFile } = await import('node:fs/promises');
  const read = async (name: string) => readNpy(new Uint8Array(await readFile(new URL(name, DATA))));
  const [images, labels] = await Promise.all([read('digits-images.npy'), read('digits-labels.npy')]);
  const count = labels.shape[0]!;
  if (images.dtype !== 'uint8' || images.shape.join(',') !== `${count},8,8` || labels.dtype !== 'uint8') {
    throw new Error(`data/digits-*.npy should hold uint8 [N, 8, 8] images and uint8 [N] labels, got ${images.dtype} [${images.shape}] and ${labels.dtype} [${labels.shape}]; rerun tools/fixtures/make_digits.py`);
  }
  return { images: Float32Array.from(images.data as Uint8Array, (v) => v / 16), labels: Int32Array.from(labels.data as Uint8Array), count };
}

/**
 * The fixed split convkit's tests and docs use: every fifth image (index % 5 === 4) is held out for
 * testing, 1,438 train and 359 test images. Not stratified: the test part has 21 (ones) to 52 (threes)
 * images per class.
 */
export function splitDigits(digits: Digits): { train: Digits; test: Digits } {
  const pick = (keep: (i: number) => boolean): Digits => {
    const indices = Array.from({ length: digits.count }, (_, i) => i).filter(keep);
    const images = new Float32Array(indices.length * 64);
    indices.forEach((from, to) => images.set(digits.images.subarray(from * 64, from * 64 + 64), to * 64));
    return { images, labels: Int32Array.from(indices, (i) => digits.labels[i]!), count: indices.length };
  };
  return { train: pick((i) => i % 5 !== 4), test: pick((i) => i % 5 === 4) };
}
