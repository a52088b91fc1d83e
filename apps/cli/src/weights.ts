import { type Module, type StateDict, StateDictError, readSafetensors } from '@convkit/core';
import { CliError } from './cli-error.js';
import { readInputFile } from './files.js';

/**
 * Loads `tensors` into `model`, or throws a one-line CliError: how many keys are missing, unexpected or
 * of another shape, with the first of each, which is enough to tell a wrong file from a wrong --model.
 * `what` names the file in the message, e.g. "weights 'w.safetensors'".
 */
export function loadWeights(model: Module<any, any>, tensors: StateDict, what: string, modelName: string): void {
  try {
    model.loadStateDict(tensors);
  } catch (error) {
    if (!(error instanceof StateDictError)) throw error;
    const parts: string[] = [];
    const first = (keys: string[]) => `'${keys[0]}'${keys.length > 1 ? ` and ${keys.length - 1} more` : ''}`;
    if (error.mismatchedKeys.length) {
      const detail = error.message.split('\n').map((l) => l.trim()).find((l) => l.startsWith(`'${error.mismatchedKeys[0]}'`));
      parts.push(`${error.mismatchedKeys.length} of another shape or dtype (${detail ?? first(error.mismatchedKeys)})`);
    }
    if (error.missingKeys.length) parts.push(`${error.missingKeys.length} missing (${first(error.missingKeys)})`);
    if (error.unexpectedKeys.length) parts.push(`${error.unexpectedKeys.length} not in ${modelName} (${first(error.unexpectedKeys)})`);
    throw new CliError(`${what} do not fit ${modelName}: tensors ${parts.join('; ')}`);
  }
}

/**
 * Reads a safetensors file after checking its start: an 8-byte little-endian header length that fits in
 * the file, then the header's '{'. So a large file of anything else is refused before it is read whole.
 */
export function readWeightsFile(path: string, what = 'weights'): Promise<Uint8Array> {
  return readInputFile(path, what, {
    startBytes: 9,
    checkStart(head, size) {
      const not = (why: string) => `cannot read ${what} '${path}': not a safetensors file (${why})`;
      if (size < 10) return not(`${size} bytes`);
      const length = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
      if (length > BigInt(size - 8)) return not(`it starts with a header length of ${length} bytes, and the file has ${size}`);
      if (head[8] !== 0x7b) return not("its header does not start with '{'");
      return null;
    },
  });
}

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** Reads a .npy file after checking its magic string (\x93NUMPY). */
export function readNpyFile(path: string, what = 'input'): Promise<Uint8Array> {
  return readInputFile(path, what, {
    checkStart: (head) => (NPY_MAGIC.every((b, i) => head[i] === b) ? null : `cannot read ${what} '${path}': not a .npy file (it does not start with \\x93NUMPY)`),
  });
}

/** A safetensors file's tensors and metadata, or a one-line CliError naming the file and what is wrong. */
export async function readWeights(path: string): Promise<{ tensors: StateDict; metadata: Record<string, string> }> {
  try {
    return readSafetensors(await readWeightsFile(path));
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read weights '${path}': ${(error as Error).message}`);
  }
}
