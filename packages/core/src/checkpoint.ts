import type * as tf from '@tensorflow/tfjs-core';
import type { StateDict } from './io/host-tensor.js';
import { readSafetensors, writeSafetensors } from './io/safetensors.js';
import type { Module } from './module.js';
import { adamStateDict } from './optimizer-state.js';

/** Hyper-parameters of one run; every epoch derives its batch order from `seed` and its own number. */
export interface TrainSettings {
  batchSize: number;
  learningRate: number;
  seed: number;
}

/** One point of the learning curve; epoch 0 is the model before training (no loss). */
export interface EpochRecord {
  epoch: number;
  loss: number | null;
  metric: number;
  stepLosses?: number[];
}

/** What a checkpoint says about its run, in the safetensors header's string-only `__metadata__`. */
export interface CheckpointInfo extends TrainSettings {
  model: string;
  data: string;
  epoch: number;
  metricName: string;
  classes: readonly string[];
  history: EpochRecord[];
}

/** A checkpoint or its optimizer state that cannot be used, with the file named. */
export class CheckpointError extends Error {}

/**
 * The file access checkpoints need, given by the caller (Node's fs in the CLI, anything in a browser), so
 * that the format lives here and the platform's atomic writes and cleanup stay with the platform.
 */
export interface CheckpointFiles {
  /** The file's bytes, or null when there is no such file. */
  read(path: string, what: 'checkpoint' | 'optimizer state'): Promise<Uint8Array | null>;
  /** Writes all of the files or none of them, each appearing whole, in the order given. */
  writeAll(files: [path: string, bytes: Uint8Array][]): Promise<void>;
}

export const CHECKPOINT_FORMAT = 'convkit-checkpoint/1';

/**
 * Where a checkpoint's optimizer state lives: beside it, `<name>.adam.safetensors`, so that the checkpoint
 * itself stays a plain state dict that loads into the model anywhere (as PyTorch keeps `optimizer.state_dict()`
 * apart from `model.state_dict()`).
 */
export function optimizerStatePath(checkpoint: string): string {
  return checkpoint.replace(/(\.safetensors)?$/, '.adam.safetensors');
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The model's weights (PyTorch names and layouts) and the run's state, with the optimizer's state beside
 * it bound to it by the checkpoint's SHA-256. `files.writeAll` gets the optimizer state first and the
 * checkpoint last: with an atomic writer, a checkpoint that exists always has its own optimizer state.
 */
export async function writeCheckpoint(
  path: string, model: Module<any, any>, info: CheckpointInfo, optimizer: tf.AdamOptimizer, files: CheckpointFiles,
): Promise<void> {
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    model: info.model,
    data: info.data,
    epoch: String(info.epoch),
    batch_size: String(info.batchSize),
    learning_rate: String(info.learningRate),
    seed: String(info.seed),
    metric: info.metricName,
    classes: JSON.stringify(info.classes),
    history: JSON.stringify(info.history),
  };
  const checkpoint = writeSafetensors(await model.stateDict(), metadata);
  const state = writeSafetensors(await adamStateDict(optimizer, model), {
    format: CHECKPOINT_FORMAT, checkpoint: info.model, checkpoint_sha256: await sha256(checkpoint),
  });
  await files.writeAll([[optimizerStatePath(path), state], [path, checkpoint]]);
}

export interface ReadCheckpoint {
  tensors: StateDict;
  /** Null for a safetensors file without convkit's metadata (weights from elsewhere). */
  info: CheckpointInfo | null;
  /** The model the file names in its metadata, when it names one. */
  model: string | null;
  /** The optimizer state beside it, null when there is none. */
  optimizer: StateDict | null;
}

/**
 * Reads a checkpoint. Every setting in the metadata is checked (a batch size of 0 or -4 would train
 * nothing or wrongly), and the optimizer state must be the one written with this checkpoint.
 */
export async function readCheckpoint(path: string, files: CheckpointFiles): Promise<ReadCheckpoint> {
  const bytes = await files.read(path, 'checkpoint');
  if (!bytes) throw new CheckpointError(`cannot read checkpoint '${path}': no such file`);
  let parsed: ReturnType<typeof readSafetensors>;
  try {
    parsed = readSafetensors(bytes);
  } catch (error) {
    throw new CheckpointError(`cannot read checkpoint '${path}': ${(error as Error).message}`);
  }
  const m = parsed.metadata;
  if (m.format === undefined) return { tensors: parsed.tensors, info: null, model: m.model ?? null, optimizer: null };
  if (m.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`checkpoint '${path}' is in format '${m.format}'; this convkit reads '${CHECKPOINT_FORMAT}'`);
  let info: CheckpointInfo;
  try {
    info = parseInfo(m);
  } catch (error) {
    throw new CheckpointError(`checkpoint '${path}' has broken metadata: ${(error as Error).message}`);
  }
  return { tensors: parsed.tensors, info, model: info.model, optimizer: await readOptimizerState(path, await sha256(bytes), files) };
}

function parseInfo(m: Record<string, string>): CheckpointInfo {
  const text = (key: string) => {
    if (m[key] === undefined) throw new Error(`'${key}' is missing`);
    return m[key];
  };
  const number = (key: string, valid: (n: number) => boolean, what: string) => {
    const value = Number(text(key));
    if (text(key).trim() === '' || !valid(value)) throw new Error(`'${key}' is '${m[key]}', not ${what}`);
    return value;
  };
  const json = (key: string) => {
    try {
      return JSON.parse(text(key)) as unknown;
    } catch {
      throw new Error(`'${key}' is not JSON`);
    }
  };
  const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const classes = json('classes');
  if (!Array.isArray(classes) || !classes.every((c) => typeof c === 'string')) throw new Error("'classes' is not a list of names");
  const history = json('history');
  const isRecord = (r: unknown) => {
    const e = r as Partial<EpochRecord> | null;
    return typeof e === 'object' && e !== null && Number.isInteger(e.epoch) && isNumber(e.metric) && (e.loss === null || isNumber(e.loss)) &&
      (e.stepLosses === undefined || (Array.isArray(e.stepLosses) && e.stepLosses.every(isNumber)));
  };
  if (!Array.isArray(history)) throw new Error("'history' is not a list of epochs");
  const broken = history.findIndex((r) => !isRecord(r));
  if (broken >= 0) throw new Error(`'history' entry ${broken} is not an epoch record ({epoch, loss, metric})`);
  return {
    model: text('model'),
    data: text('data'),
    epoch: number('epoch', (n) => Number.isInteger(n) && n >= 1, 'a positive integer'),
    batchSize: number('batch_size', (n) => Number.isInteger(n) && n >= 1, 'a positive integer'),
    learningRate: number('learning_rate', (n) => Number.isFinite(n) && n > 0, 'a positive number'),
    seed: number('seed', (n) => Number.isSafeInteger(n) && n >= 0, 'a non-negative integer'),
    metricName: text('metric'),
    classes,
    history: history as EpochRecord[],
  };
}

async function readOptimizerState(checkpoint: string, checkpointSha256: string, files: CheckpointFiles): Promise<StateDict | null> {
  const path = optimizerStatePath(checkpoint);
  const bytes = await files.read(path, 'optimizer state');
  if (!bytes) return null;
  let parsed: ReturnType<typeof readSafetensors>;
  try {
    parsed = readSafetensors(bytes);
  } catch (error) {
    throw new CheckpointError(`cannot read optimizer state '${path}': ${(error as Error).message}`);
  }
  const bound = parsed.metadata.checkpoint_sha256;
  if (bound !== checkpointSha256) {
    throw new CheckpointError(
      `optimizer state '${path}' ${bound === undefined ? 'names no checkpoint' : 'was written with another checkpoint'}, not '${checkpoint}' ` +
        '(an interrupted run or two runs in one folder); resume from its own checkpoint, or remove it to start Adam afresh',
    );
  }
  return parsed.tensors;
}
