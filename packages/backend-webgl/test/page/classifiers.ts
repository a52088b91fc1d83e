import * as tf from '@tensorflow/tfjs-core';
import { type ModelEntry, deterministicStateDict, listModels, useBackend } from '@convkit/core';
import { closeness } from '@convkit/test-utils/layer-parity';
import { type Measurement, patternInput } from './compare.js';
import { countBlockingReads, forwardValues } from './readback.js';

/** The side each classifier runs at here: 32 px, or its minimum where that is larger (SwiftShader is slow). */
export const testSide = (entry: ModelEntry) => Math.max(32, entry.minInputSize);

/**
 * One classifier with deterministicStateDict weights: logits on cpu, then on webgl from the same module
 * (tfjs moves the weights to textures on first use), compared. Also counts blocking readbacks on webgl.
 */
export async function compareOnWebgl(entry: ModelEntry, height: number, width: number, suite: string): Promise<Measurement> {
  const m: Measurement = { backend: 'webgl', suite, name: `${entry.name} ${height}x${width}`, quantity: 'logits vs cpu' };
  await useBackend('cpu');
  const before = tf.memory().numTensors;
  const model = entry.create();
  const channels = entry.inputShape[2];
  const x = tf.tensor(patternInput(height * width * channels), [1, height, width, channels]);
  try {
    model.loadStateDict(deterministicStateDict(model));
    model.eval();
    const t0 = performance.now();
    const cpu = await forwardValues(model, x);
    m.cpuMs = performance.now() - t0;
    await useBackend('webgl');
    const t1 = performance.now();
    const { result: webgl, blockingReads } = await countBlockingReads(() => forwardValues(model, x));
    m.ms = performance.now() - t1;
    m.relativeError = closeness(webgl, cpu).maxRelativeError;
    if (blockingReads) m.error = `${blockingReads} blocking readbacks (readSync of GPU data) in the forward pass`;
  } catch (error) {
    m.error = String((error as Error).stack ?? error);
  } finally {
    x.dispose();
    model.dispose();
    await useBackend('cpu');
  }
  const leaked = tf.memory().numTensors - before;
  if (leaked && !m.error) m.error = `${leaked} tensors left after the forward passes`;
  return m;
}

/**
 * Which classifiers to compare: 'families' (the default) takes the smallest registered member of each family
 * by published parameter count, since in software WebGL each model costs seconds per 10M parameters uploaded
 * and the members of a family share their kernels; 'all' takes every registered classifier; otherwise a
 * comma-separated list of names.
 */
export function selectClassifiers(which: string): ModelEntry[] {
  const classifiers = listModels({ task: 'classification' });
  if (which === 'all') return classifiers;
  if (which !== 'families') {
    const names = which.split(',').map((s) => s.trim());
    const unknown = names.filter((n) => !classifiers.some((e) => e.name === n));
    if (unknown.length) throw new Error(`not registered as classifiers: ${unknown.join(', ')}`);
    return classifiers.filter((e) => names.includes(e.name));
  }
  const smallest = new Map<string, ModelEntry>();
  const params = (e: ModelEntry) => e.reference?.params ?? Infinity;
  for (const entry of classifiers) {
    const current = smallest.get(entry.family);
    if (!current || params(entry) < params(current)) smallest.set(entry.family, entry);
  }
  return [...smallest.values()];
}

/** The selected classifiers at `testSide`, webgl against cpu. */
export async function runClassifiers(which: string): Promise<Measurement[]> {
  const out: Measurement[] = [];
  for (const entry of selectClassifiers(which)) {
    const side = testSide(entry);
    const m = await compareOnWebgl(entry, side, side, 'classifiers');
    console.log(`classifier ${m.name}: ${m.error ?? `relative error ${m.relativeError!.toExponential(2)}`}, cpu ${m.cpuMs?.toFixed(0)} ms, webgl ${m.ms?.toFixed(0)} ms`);
    out.push(m);
  }
  return out;
}
