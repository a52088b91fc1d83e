import { readFileSync, statSync } from 'node:fs';
import { DataError } from '../errors.js';

/** Reads a whole file, with a one-line DataError for a missing, unreadable or special file. */
export function readDataFile(path: string, what = 'file'): Uint8Array {
  try {
    const bytes = readFileSync(path);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (error) {
    throw new DataError(`cannot read ${what} '${path}': ${describe(error)}`, path);
  }
}

/** Throws a DataError unless `path` is a directory. */
export function requireDirectory(path: string, what: string): void {
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (error) {
    throw new DataError(`${what} '${path}' ${describe(error)}`, path);
  }
  if (!isDirectory) throw new DataError(`${what} '${path}' is not a folder`, path);
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'does not exist';
  if (code === 'EACCES') return 'is not readable (permission denied)';
  if (code === 'EISDIR') return 'is a folder, not a file';
  return (error as Error).message;
}
