import { access } from 'node:fs/promises';
import type * as tf from '@tensorflow/tfjs-core';
import {
  type CheckpointFiles, type CheckpointInfo, type Module, type ReadCheckpoint, CheckpointError,
  readCheckpoint as readCheckpointWith, writeCheckpoint as writeCheckpointWith,
} from '@convkit/core';
import { CliError } from '../cli-error.js';
import { writeOutputFiles } from '../files.js';
import { readWeightsFile } from '../weights.js';

export { type CheckpointInfo, type EpochRecord, optimizerStatePath } from '@convkit/core';

/**
 * Node's side of core's checkpoint format: files checked before they are read (a folder, a device or a
 * file too large is one line), and written through temporaries renamed in order, removed on SIGINT/SIGTERM.
 */
const nodeFiles: CheckpointFiles = {
  async read(path, what) {
    if (what === 'optimizer state' && !(await access(path).then(() => true, () => false))) return null;
    return readWeightsFile(path, what);
  },
  writeAll: (files) => writeOutputFiles(files),
};

/** core's `writeCheckpoint`, written atomically: an interrupted write leaves neither file (nor any temporary). */
export function writeCheckpoint(path: string, model: Module<any, any>, info: CheckpointInfo, optimizer: tf.AdamOptimizer): Promise<void> {
  return writeCheckpointWith(path, model, info, optimizer, nodeFiles);
}

/** core's `readCheckpoint` from disk; what is wrong with either file is a one-line CliError. */
export async function readCheckpoint(path: string): Promise<ReadCheckpoint> {
  try {
    return await readCheckpointWith(path, nodeFiles);
  } catch (error) {
    if (error instanceof CheckpointError) throw new CliError(error.message);
    throw error;
  }
}
