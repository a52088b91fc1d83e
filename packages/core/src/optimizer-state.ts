import * as tf from '@tensorflow/tfjs-core';
import type { StateDict } from './io/host-tensor.js';
import type { Module } from './module.js';

/**
 * The fields of tfjs' AdamOptimizer (4.22) this file reads and writes. `setWeights` restores the moments
 * and the step count but recomputes beta^t as pow(beta, t + 1), while training accumulates it as a running
 * product; the two differ in the last bits of float32, so the exact products are saved and put back.
 */
interface AdamInternals {
  iterations: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
}

const STEP = 'adam.step';
const ACC_BETA = ['adam.acc_beta1', 'adam.acc_beta2'] as const;
const FIRST = '.adam_m';
const SECOND = '.adam_v';

/**
 * The model's trainable variables in the order Adam keeps its moments: the key order of the gradient
 * map tfjs builds from `trainableVariables()` (an object keyed by variable name, so integer-like names
 * come first, ascending). Each with its parameter's dotted name.
 */
function adamOrder(model: Module<any, any>): { name: string; variable: tf.Variable }[] {
  const byVariable = new Map(model.namedParameters().map(([name, variable]) => [variable.name, { name, variable }]));
  const keys = Object.keys(Object.fromEntries(model.trainableVariables().map((v) => [v.name, true])));
  return keys.map((key) => byVariable.get(key)!);
}

/**
 * Adam's state for `model` as a state dict, to save beside a checkpoint so that training can go on
 * exactly where it stopped: `adam.step` (int32 []), `adam.acc_beta1` and `adam.acc_beta2` (float32 []),
 * and per trainable parameter `<name>.adam_m` and `<name>.adam_v`, float32 in the parameter's tfjs
 * layout (not PyTorch's). An optimizer that has not stepped yet gives the step and betas only.
 */
export async function adamStateDict(optimizer: tf.AdamOptimizer, model: Module<any, any>): Promise<StateDict> {
  const internals = optimizer as unknown as AdamInternals;
  const weights = await optimizer.getWeights();
  const moments = weights.slice(1);
  const order = adamOrder(model);
  const state: StateDict = new Map();
  state.set(STEP, { dtype: 'int32', shape: [], data: Int32Array.of(internals.iterations) });
  state.set(ACC_BETA[0], { dtype: 'float32', shape: [], data: Float32Array.from(await internals.accBeta1.data()) });
  state.set(ACC_BETA[1], { dtype: 'float32', shape: [], data: Float32Array.from(await internals.accBeta2.data()) });
  if (moments.length === 0) return state;
  if (moments.length !== 2 * order.length) {
    throw new Error(`the optimizer holds moments for ${moments.length / 2} variables, but the model has ${order.length} trainable parameters: was it used with another model?`);
  }
  for (const [i, { name, variable }] of order.entries()) {
    for (const [suffix, moment] of [[FIRST, moments[i]!], [SECOND, moments[order.length + i]!]] as const) {
      if (moment.name !== `${variable.name}/${suffix === FIRST ? 'm' : 'v'}`) {
        throw new Error(`the optimizer's moment ${moment.name} is not for parameter '${name}' (variable ${variable.name}): was it used with another model?`);
      }
      state.set(`${name}${suffix}`, { dtype: 'float32', shape: moment.tensor.shape.slice(), data: Float32Array.from(await moment.tensor.data()) });
    }
  }
  return state;
}

/**
 * Puts the state `adamStateDict` saved into a fresh Adam for the same model (same learning rate and
 * betas: they are settings, not state). Checks every key and shape before changing anything, and names
 * what does not fit.
 */
export async function loadAdamStateDict(optimizer: tf.AdamOptimizer, model: Module<any, any>, state: StateDict): Promise<void> {
  const order = adamOrder(model);
  const problems: string[] = [];
  const scalar = (key: string, dtype: 'int32' | 'float32') => {
    const t = state.get(key);
    if (!t) problems.push(`'${key}' is missing`);
    else if (t.dtype !== dtype || t.shape.length !== 0) problems.push(`'${key}' should be a ${dtype} scalar, got ${t.dtype} [${t.shape.join(', ')}]`);
    return t ? Number(t.data[0]) : 0;
  };
  const step = scalar(STEP, 'int32');
  const accBeta = ACC_BETA.map((key) => scalar(key, 'float32'));
  const expected = new Set([STEP, ...ACC_BETA]);
  const hasMoments = step > 0;
  if (hasMoments) {
    for (const { name, variable } of order) {
      for (const suffix of [FIRST, SECOND]) {
        const key = `${name}${suffix}`;
        expected.add(key);
        const t = state.get(key);
        if (!t) problems.push(`'${key}' is missing`);
        else if (t.dtype !== 'float32' || t.shape.join(',') !== variable.shape.join(',')) {
          problems.push(`'${key}' is ${t.dtype} [${t.shape.join(', ')}], the parameter is float32 [${variable.shape.join(', ')}]`);
        }
      }
    }
  }
  for (const key of state.keys()) if (!expected.has(key)) problems.push(`'${key}' belongs to no trainable parameter of this model`);
  if (problems.length) throw new Error(`optimizer state does not fit this model (nothing was loaded):\n  ${problems.join('\n  ')}`);

  const moment = (key: string, variable: tf.Variable, kind: 'm' | 'v') => {
    const t = state.get(key)!;
    return { name: `${variable.name}/${kind}`, tensor: tf.tensor(t.data as Float32Array, t.shape, 'float32') };
  };
  const weights: { name: string; tensor: tf.Tensor }[] = [{ name: 'iter', tensor: tf.scalar(step, 'int32') }];
  if (hasMoments) {
    weights.push(...order.map(({ name, variable }) => moment(`${name}${FIRST}`, variable, 'm')));
    weights.push(...order.map(({ name, variable }) => moment(`${name}${SECOND}`, variable, 'v')));
  }
  await optimizer.setWeights(weights);
  tf.dispose(weights.map((w) => w.tensor));
  const internals = optimizer as unknown as AdamInternals;
  tf.tidy(() => {
    internals.accBeta1.assign(tf.scalar(accBeta[0]!));
    internals.accBeta2.assign(tf.scalar(accBeta[1]!));
  });
}
