import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createModel, deterministicStateDict } from '@convkit/core';
import '@convkit/classifiers';
import { describe, expect, it } from 'vitest';
import { closeness, lossAndGradients, runLayerParity, summarizeParity } from '@convkit/test-utils/layer-parity';
import { readLayerFixtures } from '@convkit/test-utils/layer-parity/node';
import { referenceAddon } from '../test/reference-addon.js';
import { CudaBackend } from './backend.js';
import { fallbacksSeen } from './kernels/cpu-fallback.js';
import { registerCudaKernels } from './kernels/register.js';

/**
 * convkit's own layers and a whole model through the cuda backend class, with the addon replaced by
 * its host model (test/reference-addon.ts): the paths the layers take through the native kernels
 * (fused convolutions, explicit padding, transposed convolutions, train-mode batch statistics)
 * against PyTorch's fixtures and the cpu backend. tools/device/cuda-check.sh repeats the first on a GPU.
 */
const addon = referenceAddon();
registerCudaKernels();
tf.registerBackend('cuda', () => new CudaBackend(addon), 0);
const fixtures = await readLayerFixtures();

describe('convkit layers on the cuda backend class', () => {
  it('match core\'s PyTorch fixtures: outputs, running statistics, input and parameter gradients, losses to 1e-5', async () => {
    await tf.setBackend('cuda');
    const before = tf.memory().numTensors;
    const result = summarizeParity(await runLayerParity('cuda', fixtures));
    console.log(`${result.cases} cases, ${result.comparisons} comparisons, largest error ${result.worstRelativeError.toExponential(2)} of the largest value`);
    expect(result.failures).toEqual([]);
    expect(result.cases).toBeGreaterThan(50);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('give a ResNet-18 train step the cpu backend\'s loss and gradients', async () => {
    await tf.setBackend('cpu');
    const model = createModel('resnet18', { initWeights: false, numClasses: 10 });
    model.loadStateDict(deterministicStateDict(model));
    model.train(true);
    const x = tf.randomNormal([8, 16, 16, 3], 0, 1, 'float32', 3);
    const labels = tf.tensor1d([1, 7, 0, 9, 3, 5, 2, 8], 'int32');
    const buffers = await Promise.all(model.namedBuffers().map(async ([, b]) => ({ b, data: await b.data() })));
    const run = () => lossAndGradients(model, x, labels);
    const cpu = await run();
    for (const { b, data } of buffers) tf.tidy(() => b.assign(tf.tensor(data, b.shape, b.dtype)));
    await tf.setBackend('cuda');
    const cuda = await run();
    expect(Math.abs(cuda.loss - cpu.loss) / Math.abs(cpu.loss)).toBeLessThan(1e-5);
    const worst = Math.max(...[...cpu.grads].map(([name, g]) => closeness(cuda.grads.get(name)!, g).maxRelativeError));
    console.log(`ResNet-18 train step: loss ${cuda.loss} (cpu ${cpu.loss}), largest gradient error ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-4);
    expect(fallbacksSeen()).toEqual([]);
    tf.dispose([x, labels]);
    model.dispose();
  });
});
