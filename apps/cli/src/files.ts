import { constants, renameSync, rmSync, type Stats, writeFileSync } from 'node:fs';
import { access, mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, basename, join, resolve } from 'node:path';
import { CliError } from './cli-error.js';

/** Node reads no file over 2 GiB whole; weights and arrays up to that size are read. */
const DEFAULT_MAX_BYTES = 2 ** 31 - 1;

export interface ReadLimits {
  /** Refuse files larger than this many bytes (default 2 GiB - 1). */
  maxBytes?: number;
  /** Given the file's first bytes and its size, why it is not what we want, or null; checked before reading the rest. */
  checkStart?: (head: Uint8Array, size: number) => string | null;
  /** How many first bytes `checkStart` sees (default 16). */
  startBytes?: number;
}

export const formatBytes = (n: number) =>
  n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} bytes`;

function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isFIFO()) return 'a pipe';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Reads an input file whole, after checking that it is a regular file (not /dev/zero, a pipe or a
 * folder), no larger than `limits.maxBytes`, and, where `limits.checkStart` is given, that it starts
 * the way its format does. `what` names the file in errors, e.g. 'weights'.
 */
export async function readInputFile(path: string, what: string, limits: ReadLimits = {}): Promise<Uint8Array> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read ${what} '${path}': ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  if (!info.isFile()) throw new CliError(`cannot read ${what} '${path}': it is ${kindOf(info)}, not a file`);
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  if (info.size > maxBytes) throw new CliError(`cannot read ${what} '${path}': it is ${formatBytes(info.size)}, more than the ${formatBytes(maxBytes)} convkit reads`);
  try {
    if (limits.checkStart) {
      const handle = await open(path, 'r');
      try {
        const head = new Uint8Array(Math.min(limits.startBytes ?? 16, info.size));
        await handle.read(head, 0, head.length, 0);
        const reason = limits.checkStart(head, info.size);
        if (reason) throw new CliError(reason);
      } finally {
        await handle.close();
      }
    }
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read ${what} '${path}': ${(error as Error).message}`);
  }
}

/** Temporary files of writes in flight and folder locks held, removed on exit, SIGINT and SIGTERM. */
const temporaries = new Set<string>();
const locks = new Set<string>();

function cleanUp(): void {
  for (const path of [...temporaries, ...locks]) rmSync(path, { force: true });
  temporaries.clear();
  locks.clear();
}

const SIGNALS = [['SIGINT', 2], ['SIGTERM', 15]] as const;
const onSignal = (signal: string, number: number) => () => {
  cleanUp();
  console.error(`\nconvkit: stopped by ${signal}; no half-written files left`);
  process.exit(128 + number);
};
const handlers = SIGNALS.map(([signal, number]) => [signal, onSignal(signal, number)] as const);
let holders = 0;

/**
 * Handles SIGINT and SIGTERM, removing temporaries and locks, until the returned function is called by
 * every holder. Only while something is held: a handled signal waits for the event loop to turn, which a
 * long synchronous computation does not let it, where the default (ending the process) needs no turn.
 */
function holdCleanup(): () => void {
  if (holders++ === 0) {
    process.once('exit', cleanUp);
    for (const [signal, handler] of handlers) process.on(signal, handler);
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders === 0) {
      process.removeListener('exit', cleanUp);
      for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    }
  };
}

const temporaryFor = (path: string) => join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);

/**
 * Writes every file through a temporary beside it, then renames them in the given order, so that a run
 * that fails before the renames leaves none of them changed, and the last one named exists only once the
 * others do. The writes are synchronous on purpose: SIGINT and SIGTERM are handled between them, never
 * while a temporary exists. Temporaries are removed on any error.
 */
export async function writeOutputFiles(files: readonly (readonly [path: string, bytes: Uint8Array | string])[]): Promise<void> {
  const release = holdCleanup();
  const staged: [string, string][] = [];
  try {
    for (const [path, bytes] of files) {
      const temporary = temporaryFor(path);
      temporaries.add(temporary);
      staged.push([temporary, path]);
      try {
        writeFileSync(temporary, bytes);
      } catch (error) {
        throw new CliError(`cannot write '${path}': ${(error as Error).message}`);
      }
    }
    for (const [temporary, path] of staged) {
      try {
        renameSync(temporary, path);
      } catch (error) {
        throw new CliError(`cannot write '${path}': ${(error as NodeJS.ErrnoException).code === 'EISDIR' ? 'it is a directory' : (error as Error).message}`);
      }
      temporaries.delete(temporary);
    }
  } finally {
    for (const [temporary] of staged) {
      if (temporaries.delete(temporary)) rmSync(temporary, { force: true });
    }
    // A signal that came during the writes is handled here, on the loop's next turn, before letting go.
    await new Promise<void>((done) => setImmediate(done));
    release();
  }
}

/** Writes through a temporary file and a rename, so a failed run never leaves half a file behind. */
export async function writeOutputFile(path: string, bytes: Uint8Array | string): Promise<void> {
  await writeOutputFiles([[path, bytes]]);
}

/**
 * Refuses, before any work, an output file convkit could not write: a directory or another non-file,
 * or a path whose folder does not exist or cannot be written. `option` names it, e.g. '--out'.
 */
export async function checkOutputFile(path: string, option: string): Promise<void> {
  const info = await stat(path).catch(() => null);
  if (info && !info.isFile()) throw new CliError(`${option} '${path}' is ${kindOf(info)}; give a file name`);
  const folder = dirname(resolve(path));
  const parent = await stat(folder).catch(() => null);
  if (!parent) throw new CliError(`${option} '${path}': the folder '${folder}' does not exist`);
  if (!parent.isDirectory()) throw new CliError(`${option} '${path}': '${folder}' is not a folder`);
  await access(folder, constants.W_OK).catch(() => {
    throw new CliError(`${option} '${path}': cannot write into '${folder}'`);
  });
}

/**
 * Refuses, before any work and without creating anything, an output folder convkit could not create or
 * write into: a file in its place or in its path, or a nearest existing folder that is not writable.
 */
export async function checkOutputFolder(path: string, option: string): Promise<void> {
  const info = await stat(path).catch(() => null);
  if (info && !info.isDirectory()) throw new CliError(`${option} '${path}' is ${info.isFile() ? 'a file' : kindOf(info)}, not a folder`);
  let existing = resolve(path);
  let found = info;
  while (!found && dirname(existing) !== existing) {
    existing = dirname(existing);
    found = await stat(existing).catch(() => null);
  }
  const fail = (why: string) => new CliError(`${option} '${path}': cannot create or write into that folder: ${why}`);
  if (found && !found.isDirectory()) throw fail('a file stands in its path');
  await access(existing, constants.W_OK).catch(() => {
    throw fail(`'${existing}' is not writable`);
  });
}

/** Creates an output folder (and its parents), or says in one line why it cannot be. */
export async function makeOutputFolder(path: string, option: string): Promise<void> {
  await checkOutputFolder(path, option);
  try {
    await mkdir(path, { recursive: true });
    await access(path, constants.W_OK);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const where = e.path && e.path !== path ? ` ('${e.path}')` : '';
    throw new CliError(`${option} '${path}': cannot create or write into that folder${where}: ${e.code === 'ENOTDIR' ? 'a file stands in its path' : e.code ?? e.message}`);
  }
}

const LOCK_NAME = '.convkit.lock';

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Holds `folder` for this process: a lock file with our pid, removed by the returned function, on exit
 * and on SIGINT/SIGTERM. A folder held by a live process is refused with its pid; a stale lock (its
 * process is gone) is taken over.
 */
export async function lockFolder(folder: string, option: string): Promise<() => Promise<void>> {
  const path = join(folder, LOCK_NAME);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const release = holdCleanup();
      await writeFile(path, `${process.pid}\n`, { flag: 'wx' }).catch((error: unknown) => {
        release();
        throw error;
      });
      locks.add(path);
      return async () => {
        if (locks.delete(path)) await rm(path, { force: true });
        release();
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new CliError(`${option} '${folder}': cannot create '${path}': ${(error as Error).message}`);
    }
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && running(pid)) {
      throw new CliError(`${option} '${folder}' is in use by another convkit run (pid ${pid}); wait for it to finish or choose another folder`);
    }
    await rm(path, { force: true });
  }
  throw new CliError(`${option} '${folder}': another convkit run keeps taking its lock (${path})`);
}
