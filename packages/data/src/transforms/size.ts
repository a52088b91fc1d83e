import { DataError } from '../errors.js';

/** Throws unless `size` is a positive integer or [height, width] of them. */
export function checkSize(size: number | readonly number[], what: string): void {
  const values = typeof size === 'number' ? [size] : size;
  if ((values.length !== 1 && values.length !== 2) || values.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new DataError(`${what} size must be a positive integer or [height, width] of them, got ${JSON.stringify(size)}`);
  }
}

/** An int n means [n, n], as torchvision's crops read it. */
export function pairOf(size: number | readonly number[]): [number, number] {
  return typeof size === 'number' ? [size, size] : size.length === 1 ? [size[0]!, size[0]!] : [size[0]!, size[1]!];
}
