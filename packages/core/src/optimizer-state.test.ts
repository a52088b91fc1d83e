import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { deterministicStateDict } from './deterministic.js';
import { readSafetensors, writeSafetensors } from './io/safetensors.js';
import { BatchNorm2d } from './layers/batch-norm2d.js';
import { Conv2d } from './layers/conv2d.js';
import { Flatten } from './layers/flatten.js';
import { Linear } from './layers/linear.js';
import { ReLU } from './layers/relu.js';
import { Sequential } from './layers/sequential.js';
import { adamStateDict, loadAdamStateDict } from './optimizer-state.js';
import { seededRandom } from './random.js';
import { testBackends, useTestBackend } from './test-backends.js';
import { crossEntropy, trainStep } from './train.js';

// Raw tfjs-backend-wasm 4.22 cannot train convolutions (no Conv2DBackpropFilter; @convkit/backend-wasm adds it).
const backends = (await testBackends()).filter((name) => tf.getKernel('Conv2DBackpropFilter', name) !== undefined);

/** A small CNN with every kind of trainable parameter convkit has (conv, BatchNorm, linear; some without bias). */
const makeModel = () => new Sequential(new Conv2d(1, 4, 3, { bias: false }), new BatchNorm2d(4), new ReLU(), new Flatten(), new Linear(4 * 6 * 6, 3));

/** Seeded batches: x [4, 8, 8, 1], labels [4]. */
function batch(step: number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const next = seededRandom(1000 + step);
  return {
    x: tf.tensor4d(Float32Array.from({ length: 4 * 64 }, () => next() * 2 - 1), [4, 8, 8, 1]),
    y: tf.tensor1d(Int32Array.from({ length: 4 }, () => Math.floor(next() * 3)), 'int32'),
  };
}

async function train(model: ReturnType<typeof makeModel>, optimizer: tf.Optimizer, steps: number[]): Promise<void> {
  for (const step of steps) {
    const { x, y } = batch(step);
    await trainStep(model, optimizer, () => crossEntropy(model.call(x) as tf.Tensor2D, y));
    tf.dispose([x, y]);
  }
}

describe.each(backends)('Adam state across a save and resume (%s)', (backend) => {
  beforeAll(() => useTestBackend(backend));

  it('goes on bit for bit as if training had never stopped', async () => {
    const straight = makeModel();
    straight.loadStateDict(deterministicStateDict(straight, 3));
    const straightAdam = tf.train.adam(0.01);
    await train(straight, straightAdam, [0, 1, 2, 3, 4, 5]);

    const first = makeModel();
    first.loadStateDict(deterministicStateDict(first, 3));
    const firstAdam = tf.train.adam(0.01);
    await train(first, firstAdam, [0, 1, 2]);
    // Through the bytes of two safetensors files, as a checkpoint travels.
    const weights = writeSafetensors(await first.stateDict());
    const state = writeSafetensors(await adamStateDict(firstAdam, first));
    expect([...readSafetensors(state).tensors.keys()].sort()).toEqual([
      '0.weight.adam_m', '0.weight.adam_v', '1.bias.adam_m', '1.bias.adam_v', '1.weight.adam_m', '1.weight.adam_v',
      '4.bias.adam_m', '4.bias.adam_v', '4.weight.adam_m', '4.weight.adam_v', 'adam.acc_beta1', 'adam.acc_beta2', 'adam.step',
    ]);
    first.dispose();
    firstAdam.dispose();

    // Built in a fresh state: other variables exist and the new ones get other names.
    const unrelated = makeModel();
    const resumed = makeModel();
    resumed.loadStateDict(readSafetensors(weights).tensors);
    const resumedAdam = tf.train.adam(0.01);
    await loadAdamStateDict(resumedAdam, resumed, readSafetensors(state).tensors);
    await train(resumed, resumedAdam, [3, 4, 5]);

    const a = await straight.stateDict();
    const b = await resumed.stateDict();
    for (const [name, t] of a) expect(Array.from(b.get(name)!.data as Float32Array), name).toEqual(Array.from(t.data as Float32Array));
    straightAdam.dispose();
    resumedAdam.dispose();
    for (const m of [straight, resumed, unrelated]) m.dispose();
  });

  it('refuses state of another model, naming every key that does not fit, and changes nothing', async () => {
    const model = makeModel();
    const adam = tf.train.adam(0.01);
    await train(model, adam, [0]);
    const state = await adamStateDict(adam, model);
    // Index 1 holds no parameters here, the convolution has a bias, and the classifier 2 outputs, not 3.
    const other = new Sequential(new Conv2d(1, 4, 3), new ReLU(), new ReLU(), new Flatten(), new Linear(4 * 6 * 6, 2));
    const fresh = tf.train.adam(0.01);
    await expect(loadAdamStateDict(fresh, other, state)).rejects.toThrow(
      /optimizer state does not fit this model \(nothing was loaded\):[^]*'0\.bias\.adam_m' is missing[^]*'4\.weight\.adam_m' is float32 \[144, 3\], the parameter is float32 \[144, 2\][^]*'1\.weight\.adam_m' belongs to no trainable parameter/,
    );
    expect(fresh.iterations).toBe(0);
    state.delete('adam.step');
    await expect(loadAdamStateDict(fresh, model, state)).rejects.toThrow(/'adam\.step' is missing/);
    adam.dispose();
    fresh.dispose();
    model.dispose();
    other.dispose();
  });
});
