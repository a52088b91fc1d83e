import { access } from 'node:fs/promises';
import type * as tf from '@tensorflow/tfjs-core';
import { type Module, type StateDict, adamStateDict, readSafetensors, writeSafetensors } from '@convkit/core';
import { CliError } from '../cli-error.js';
import { readInputFile, writeOutputFile } from '../files.js';
import type { TrainSettings } from './trainer.js';

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

const FORMAT = 'convkit-checkpoint/1';

/**
 * Where a checkpoint's optimizer state lives: beside it, `<name>.adam.safetensors`, so that the checkpoint
 * itself stays a plain state dict that loads into the model anywhere (as PyTorch keeps `optimizer.state_dict()`
 * apart from `model.state_dict()`).
 */
export function optimizerStatePath(checkpoint: string): string {
  return checkpoint.replace(/(\.safetensors)?$/, '.adam.safetensors');
}

/**
 * The model's weights (PyTorch names and layouts) and the run's state, written atomically, after the
 * optimizer's state beside it: a checkpoint that exists always has its optimizer state.
 */
export async function writeCheckpoint(path: string, model: Module<any, any>, info: CheckpointInfo, optimizer: tf.AdamOptimizer): Promise<void> {
  const metadata: Record<string, string> = {
    format: FORMAT,
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
  await writeOutputFile(optimizerStatePath(path), writeSafetensors(await adamStateDict(optimizer, model), { format: FORMAT, checkpoint: info.model }));
  await writeOutputFile(path, writeSafetensors(await model.stateDict(), metadata));
}

/**
 * Reads a checkpoint. A safetensors file without convkit's metadata (weights from elsewhere) gives
 * info null: training then starts at epoch 1 from those weights. `model` is the model the file names
 * in its metadata, when it names one; `optimizer` the state beside it, null when there is none.
 */
export async function readCheckpoint(path: string): Promise<{ tensors: StateDict; info: CheckpointInfo | null; model: string | null; optimizer: StateDict | null }> {
  const bytes = await readInputFile(path, 'checkpoint');
  let parsed: ReturnType<typeof readSafetensors>;
  try {
    parsed = readSafetensors(bytes);
  } catch (error) {
    throw new CliError(`cannot read checkpoint '${path}': ${(error as Error).message}`);
  }
  const m = parsed.metadata;
  if (m.format === undefined) return { tensors: parsed.tensors, info: null, model: m.model ?? null, optimizer: null };
  if (m.format !== FORMAT) throw new CliError(`checkpoint '${path}' is in format '${m.format}'; this convkit reads '${FORMAT}'`);
  let info: CheckpointInfo;
  try {
    const number = (key: string) => {
      const value = Number(m[key]);
      if (m[key] === undefined || !Number.isFinite(value)) throw new Error(`'${key}' is ${m[key] === undefined ? 'missing' : `'${m[key]}', not a number`}`);
      return value;
    };
    const text = (key: string) => {
      if (m[key] === undefined) throw new Error(`'${key}' is missing`);
      return m[key];
    };
    info = {
      model: text('model'),
      data: text('data'),
      epoch: number('epoch'),
      batchSize: number('batch_size'),
      learningRate: number('learning_rate'),
      seed: number('seed'),
      metricName: text('metric'),
      classes: JSON.parse(text('classes')) as string[],
      history: JSON.parse(text('history')) as EpochRecord[],
    };
  } catch (error) {
    throw new CliError(`checkpoint '${path}' has broken metadata: ${(error as Error).message}`);
  }
  return { tensors: parsed.tensors, info, model: info.model, optimizer: await readOptimizerState(path) };
}

async function readOptimizerState(checkpoint: string): Promise<StateDict | null> {
  const path = optimizerStatePath(checkpoint);
  try {
    await access(path);
  } catch {
    return null;
  }
  try {
    return readSafetensors(await readInputFile(path, 'optimizer state')).tensors;
  } catch (error) {
    throw new CliError(`cannot read optimizer state '${path}': ${(error as Error).message}`);
  }
}
