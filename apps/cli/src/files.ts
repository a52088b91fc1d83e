import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { CliError } from './cli-error.js';

export async function readInputFile(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read ${what} '${path}': ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

/** Writes through a temporary file and a rename, so a failed run never leaves half a file behind. */
export async function writeOutputFile(path: string, bytes: Uint8Array | string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  } catch (error) {
    throw new CliError(`cannot write '${path}': ${(error as Error).message}`);
  }
}
