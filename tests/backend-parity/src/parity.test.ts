import * as tf from '@tensorflow/tfjs-core';
import { type Module, availableBackends, createModel, deterministicStateDict, listModels } from '@convkit/core';
import '@convkit/classifiers';
import '@convkit/segmentation';
import '@convkit/detection';
import { closeness, liveTensors, outputTensors, outputValues, testBackends, useBackend } from '@convkit/test-utils';
import { lossAndGradients, runLayerParity, summarizeParity } from '@convkit/test-utils/layer-parity';
import { readLayerFixtures } from '@convkit/test-utils/layer-parity/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The native backends (every available one but cpu and wasm, whose layer parity core's own tests check)
 * held to the same references: core's PyTorch layer fixtures, wasm's output on every registered model,
 * the cpu backend's gradients on a ResNet-18 train step, and a long run that must leak nothing.
 */
const fixtures = await readLayerFixtures();
const all = await testBackends();
const native = all.filter((b) => b !== 'cpu' && b !== 'wasm');
const statuses = await availableBackends();
for (const s of statuses) if (!s.available && s.name !== 'cpu' && s.name !== 'wasm') console.log(`backend ${s.name} is not available, so its parity tests are skipped: ${s.reason}`);

async function forward(model: Module<tf.Tensor, unknown>, x: tf.Tensor): Promise<{ shapes: number[][]; values: Float32Array[] }> {
  const out = model.call(x);
  return { shapes: outputTensors(out).map((t) => t.shape), values: await outputValues(out) };
}

describe.each(native)('%s', (backend) => {
  it("passes core's PyTorch layer fixtures: outputs, running statistics, input and parameter gradients, losses to 1e-5", async () => {
    await useBackend(backend);
    const before = liveTensors();
    const result = summarizeParity(await runLayerParity(backend, fixtures));
    console.log(`${backend}: ${result.cases} layer cases, ${result.comparisons} comparisons, largest error ${result.worstRelativeError.toExponential(2)} of the largest value`);
    expect(result.failures).toEqual([]);
    expect(result.cases).toBeGreaterThan(50);
    expect(liveTensors()).toBe(before);
  });

  it("gives a ResNet-18 train step the cpu backend's loss and gradients to 1e-4", async () => {
    await useBackend('cpu');
    const model = createModel('resnet18', { initWeights: false, numClasses: 10 });
    model.loadStateDict(deterministicStateDict(model));
    model.train(true);
    const x = tf.randomNormal([8, 16, 16, 3], 0, 1, 'float32', 3);
    const labels = tf.tensor1d([1, 7, 0, 9, 3, 5, 2, 8], 'int32');
    const buffers = await Promise.all(model.namedBuffers().map(async ([, b]) => ({ b, data: await b.data() })));
    const step = () => lossAndGradients(model, x, labels);
    const cpu = await step();
    for (const { b, data } of buffers) tf.tidy(() => b.assign(tf.tensor(data, b.shape, b.dtype)));
    await useBackend(backend);
    const ours = await step();
    const worst = Math.max(...[...cpu.grads].map(([name, g]) => closeness(ours.grads.get(name)!, g).maxRelativeError));
    console.log(`${backend}: ResNet-18 train step loss ${ours.loss} (cpu ${cpu.loss}), largest gradient error ${worst.toExponential(2)}`);
    expect(Math.abs(ours.loss - cpu.loss) / Math.abs(cpu.loss)).toBeLessThan(1e-5);
    expect(worst).toBeLessThan(1e-4);
    tf.dispose([x, labels]);
    model.dispose();
  });

  it('runs 1,000 forward passes without leaking tensors or backend memory', async () => {
    await useBackend(backend);
    const model = createModel('resnet18', { initWeights: false, numClasses: 10 });
    model.eval();
    const x = tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 5);
    (model.call(x) as tf.Tensor).dispose();
    const memory = (): Record<string, number> => ({ ...(tf.memory() as unknown as Record<string, number>), tensors: liveTensors() });
    const before = memory();
    for (let i = 0; i < 1000; i++) (model.call(x) as tf.Tensor).dispose();
    const after = memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.numBytes).toBe(before.numBytes);
    // The backend's own accounts, where it keeps them (onednn: blocked layouts, cached weights, plans).
    for (const key of Object.keys(before).filter((k) => /^num(Bytes|Plans)In|^numPlans$/.test(k))) expect(after[key], key).toBe(before[key]);
    tf.dispose(x);
    model.dispose();
  });

  describe.each(listModels())('$name', (entry) => {
    // Detection models with fully connected heads take their published input only.
    const size = entry.task === 'detection' ? entry.inputShape[0] : Math.max(32, entry.minInputSize);
    let model: Module<tf.Tensor, unknown>;
    beforeAll(async () => {
      await useBackend('wasm');
      model = entry.create({ initWeights: false });
      model.loadStateDict(deterministicStateDict(model));
      model.eval();
    });
    afterAll(() => model?.dispose());

    it(`forward equals wasm's to 1e-4 at ${size}x${size}`, async () => {
      const x = tf.randomNormal([1, size, size, entry.inputShape[2]], 0, 1, 'float32', 11);
      await useBackend('wasm');
      const expected = await forward(model, x);
      await useBackend(backend);
      const before = liveTensors();
      const actual = await forward(model, x);
      expect(liveTensors()).toBe(before);
      x.dispose();
      expect(actual.shapes).toEqual(expected.shapes);
      const errors = actual.values.map((v, i) => closeness(v, expected.values[i]!).maxRelativeError);
      expect(Math.max(0, ...errors)).toBeLessThan(1e-4);
    });
  });
});
