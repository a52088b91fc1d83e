import * as tf from '@tensorflow/tfjs-core';
import { type ModelEntry, deterministicStateDict, useBackend } from '@convkit/core';
import { closeness } from '@convkit/test-utils/layer-parity';
import { type Measurement, patternInput } from '../../../backend-webgl/test/page/compare.js';
import { selectClassifiers, testSide } from '../../../backend-webgl/test/page/classifiers.js';
import { forwardValues } from '../../../backend-webgl/test/page/readback.js';

/**
 * One classifier with deterministicStateDict weights: logits on cpu, then on webgpu from the same module
 * (tfjs moves the weights to GPU buffers on first use), compared. Blocking readbacks need no counting here:
 * tfjs-backend-webgpu's readSync throws on GPU-resident data, so one would fail the case.
 */
async function compareOnWebgpu(entry: ModelEntry, side: number): Promise<Measurement> {
  const m: Measurement = { backend: 'webgpu', suite: 'classifiers', name: `${entry.name} ${side}x${side}`, quantity: 'logits vs cpu' };
  await useBackend('cpu');
  const before = tf.memory().numTensors;
  const model = entry.create();
  const channels = entry.inputShape[2];
  const x = tf.tensor(patternInput(side * side * channels), [1, side, side, channels]);
  try {
    model.loadStateDict(deterministicStateDict(model));
    model.eval();
    const t0 = performance.now();
    const cpu = await forwardValues(model, x);
    m.cpuMs = performance.now() - t0;
    await useBackend('webgpu');
    const t1 = performance.now();
    const webgpu = await forwardValues(model, x);
    m.ms = performance.now() - t1;
    m.relativeError = closeness(webgpu, cpu).maxRelativeError;
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

/** The selected classifiers (selectClassifiers of the webgl suite) at its `testSide`, webgpu against cpu. */
export async function runClassifiers(which: string): Promise<Measurement[]> {
  const out: Measurement[] = [];
  for (const entry of selectClassifiers(which)) {
    const m = await compareOnWebgpu(entry, testSide(entry));
    console.log(`classifier ${m.name}: ${m.error ?? `relative error ${m.relativeError!.toExponential(2)}`}, cpu ${m.cpuMs?.toFixed(0)} ms, webgpu ${m.ms?.toFixed(0)} ms`);
    out.push(m);
  }
  return out;
}
