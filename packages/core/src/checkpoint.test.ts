import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import './gradients.js';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type CheckpointFiles, type CheckpointInfo, CheckpointError, optimizerStatePath, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { deterministicStateDict } from './deterministic.js';
import { readSafetensors, writeSafetensors } from './io/safetensors.js';
import { Linear } from './layers/linear.js';
import { crossEntropy, trainStep } from './train.js';

/** Files in memory, with every batch of writes recorded in its order. */
function memoryFiles(): CheckpointFiles & { store: Map<string, Uint8Array>; writes: string[][] } {
  const store = new Map<string, Uint8Array>();
  const writes: string[][] = [];
  return {
    store, writes,
    read: async (path) => store.get(path) ?? null,
    async writeAll(files) {
      writes.push(files.map(([path]) => path));
      for (const [path, bytes] of files) store.set(path, bytes);
    },
  };
}

const INFO: CheckpointInfo = {
  model: 'probe', data: 'digits', epoch: 2, batchSize: 4, learningRate: 0.01, seed: 3, metricName: 'test accuracy',
  classes: ['a', 'b', 'c'], history: [{ epoch: 0, loss: null, metric: 0.3 }, { epoch: 2, loss: 0.5, metric: 0.9, stepLosses: [0.6, 0.4] }],
};

async function trainedCheckpoint(files: CheckpointFiles, path = 'runs/probe-epoch2.safetensors') {
  await tf.setBackend('cpu');
  const model = new Linear(5, 3);
  model.loadStateDict(deterministicStateDict(model, 1));
  const optimizer = tf.train.adam(0.01);
  const x = tf.ones([4, 5]);
  const y = tf.tensor1d([0, 1, 2, 1], 'int32');
  await trainStep(model, optimizer, () => crossEntropy(model.call(x) as tf.Tensor2D, y));
  await writeCheckpoint(path, model, INFO, optimizer, files);
  tf.dispose([x, y]);
  optimizer.dispose();
  return { model, path };
}

describe('checkpoints', () => {
  it('write the optimizer state first and the checkpoint last, bound by its SHA-256, and read back whole', async () => {
    const files = memoryFiles();
    const { model, path } = await trainedCheckpoint(files);
    expect(files.writes).toEqual([[optimizerStatePath(path), path]]);
    const bytes = files.store.get(path)!;
    const state = readSafetensors(files.store.get(optimizerStatePath(path))!);
    expect(state.metadata.checkpoint_sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const read = await readCheckpoint(path, files);
    expect(read.info).toEqual(INFO);
    expect(read.model).toBe('probe');
    expect([...read.optimizer!.keys()].sort()).toEqual(['adam.acc_beta1', 'adam.acc_beta2', 'adam.step', 'bias.adam_m', 'bias.adam_v', 'weight.adam_m', 'weight.adam_v']);
    const weights = await model.stateDict();
    expect([...read.tensors.keys()]).toEqual([...weights.keys()]);
    expect(Array.from(read.tensors.get('weight')!.data as Float32Array)).toEqual(Array.from(weights.get('weight')!.data as Float32Array));
    model.dispose();
  });

  it('refuse an optimizer state written with another checkpoint, and broken metadata, naming the file', async () => {
    const files = memoryFiles();
    const { model, path } = await trainedCheckpoint(files);
    const { tensors, metadata } = readSafetensors(files.store.get(path)!);
    files.store.set(path, writeSafetensors(tensors, { ...metadata, epoch: '2.5' }));
    const error = await readCheckpoint(path, files).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toBe(`checkpoint '${path}' has broken metadata: 'epoch' is '2.5', not a positive integer`);
    files.store.set(path, writeSafetensors(tensors, { ...metadata, seed: '4' }));
    await expect(readCheckpoint(path, files)).rejects.toThrow(`optimizer state '${optimizerStatePath(path)}' was written with another checkpoint, not '${path}'`);
    files.store.set(path, writeSafetensors(tensors, { ...metadata, format: 'convkit-checkpoint/9' }));
    await expect(readCheckpoint(path, files)).rejects.toThrow(/is in format 'convkit-checkpoint\/9'; this convkit reads 'convkit-checkpoint\/1'/);
    model.dispose();
  });

  it('read plain weights as info null and a missing optimizer state as null', async () => {
    const files = memoryFiles();
    const { model, path } = await trainedCheckpoint(files);
    files.store.delete(optimizerStatePath(path));
    expect((await readCheckpoint(path, files)).optimizer).toBeNull();
    files.store.set('plain.safetensors', writeSafetensors(await model.stateDict()));
    const plain = await readCheckpoint('plain.safetensors', files);
    expect([plain.info, plain.model, plain.optimizer]).toEqual([null, null, null]);
    await expect(readCheckpoint('nothing.safetensors', files)).rejects.toThrow("cannot read checkpoint 'nothing.safetensors': no such file");
    model.dispose();
  });
});
