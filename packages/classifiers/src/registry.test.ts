import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, type Module, crossEntropy, deterministicStateDict, listModels, summary, trainStep } from '@convkit/core';
import { expectFusionKeepsOutputs, liveTensors, testBackends, useBackend } from '@convkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import './index.js';

/**
 * Every registered classifier on every available backend (timm's test_model_forward/backward): the output
 * shape, finite values and no leaked tensors, after a forward in eval mode and after one SGD step; and
 * the same logits, to 1e-4, after fuseForInference.
 *
 * Each model is built once, on the first backend, and moves to the next (tfjs moves a tensor's data to the
 * active backend on first use): building a VGG costs more than running it. It is built with
 * `{ initWeights: false }` where a family has that option (the family's tests check its init), as VGG's
 * N(0, 0.01^2) init of 124M linear weights takes longer in tfjs than everything this test does with it. Where another backend's train
 * step follows, a train step puts the weights back afterwards: one SGD step through a BatchNorm that sees
 * two values per channel can blow the weights up.
 * tfjs-backend-cpu computes convolution filter gradients at about 10M multiply-adds a second, so cpu runs the
 * train step only for models within CPU_TRAIN_BUDGET; a backend without that kernel freezes the filters for
 * the step and trains everything else.
 */
const backends = await testBackends();
const models = listModels({ task: 'classification' });

/** Multiply-adds of a train step's forward (batch 2, at least 16x16) up to which cpu runs the step. */
const CPU_TRAIN_BUDGET = 30e6;

/** Cross-entropy of the main logits plus 0.3 x each auxiliary head's, as torchvision's reference training script weights GoogLeNet's. */
function classificationLoss(output: unknown, labels: tf.Tensor): tf.Scalar {
  if (output instanceof tf.Tensor) return crossEntropy(output, labels);
  const { logits, ...aux } = output as Record<string, tf.Tensor>;
  return tf.tidy(() => Object.values(aux).reduce<tf.Scalar>((loss, head) => tf.add(loss, tf.mul(0.3, crossEntropy(head, labels))), crossEntropy(logits!, labels)));
}

/** Every tensor of a model's output, read back and disposed. */
function freezeConvFilters(model: Module<any, any>): () => void {
  const filters = model.namedModules().flatMap(([, m]) => (m instanceof Conv2d && m.weight.trainable ? [m.weight] : []));
  for (const f of filters) f.trainable = false;
  return () => filters.forEach((f) => (f.trainable = true));
}

/**
 * Copies every parameter and buffer to host memory; the returned function puts them back. A host copy,
 * since holding the old tensors through a VGG's train step would need another 0.5 GB of wasm memory.
 */
async function snapshot(model: Module<any, any>): Promise<() => void> {
  const variables = [...model.namedParameters(), ...model.namedBuffers()].map(([, v]) => v);
  const saved = await Promise.all(variables.map((v) => v.data()));
  return () => variables.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(saved[i]!, v.shape, v.dtype))));
}

describe.each(models)('$name', (entry) => {
  const channels = entry.inputShape[2];
  const evalSize = Math.max(32, entry.minInputSize);
  // Batch 2: BatchNorm needs more than one value per channel in training, even where a map is 1x1.
  const trainSize = Math.max(16, entry.minInputSize);
  const trainShape = [2, trainSize, trainSize, channels];
  let model: Module<tf.Tensor, unknown>;
  let trainMacs = 0;
  const trainsOn = (backend: string) => backend !== 'cpu' || trainMacs <= CPU_TRAIN_BUDGET;

  beforeAll(async () => {
    await useBackend(backends[0]);
    model = entry.create({ initWeights: false });
    trainMacs = summary(model, trainShape).macs;
  });
  afterAll(() => model?.dispose());

  // All evals first: a model moves between backends once each way, and no train step precedes an eval.
  it.for(backends)(`eval forward on %s: [N, ${entry.numClasses}] finite logits, no leaked tensors`, async (backend) => {
    await useBackend(backend);
    const batch = backend === 'cpu' ? 1 : 2;
    model.eval();
    const before = liveTensors();
    const x = tf.randomNormal([batch, evalSize, evalSize, channels], 0, 1, 'float32', 1);
    const y = model.call(x) as tf.Tensor;
    expect(y.shape).toEqual([batch, entry.numClasses]);
    const values = await y.data();
    tf.dispose([x, y]);
    expect(values.every(Number.isFinite)).toBe(true);
    expect(liveTensors()).toBe(before);
  });

  it.for(backends)('fused for inference on %s: the unfused logits to 1e-4, no leaked tensors', async (backend) => {
    await useBackend(backend);
    const batch = backend === 'cpu' ? 1 : 2;
    model.eval();
    const batchNorms = model.namedModules().flatMap(([, m]) => (m instanceof BatchNorm2d ? [m] : []));
    const saved = await Promise.all(batchNorms.map((m) => m.stateDict()));
    // Folding the initial statistics (mean 0, variance 1, weight 1, bias 0) would change next to nothing.
    batchNorms.forEach((m, i) => m.loadStateDict(deterministicStateDict(m, i + 1)));
    const x = tf.randomNormal([batch, evalSize, evalSize, channels], 0, 1, 'float32', 3);
    try {
      await expectFusionKeepsOutputs(model, () => model.call(x), entry.name);
    } finally {
      batchNorms.forEach((m, i) => m.loadStateDict(saved[i]!));
      x.dispose();
    }
  });

  it.for(backends)('train step on %s: finite loss, no leaked tensors', async (backend, ctx) => {
    ctx.skip(!trainsOn(backend), `${(trainMacs / 1e6).toFixed(0)}M multiply-adds per forward is over cpu's budget`);
    await useBackend(backend);
    const x = tf.randomNormal(trainShape, 0, 1, 'float32', 2);
    const labels = tf.tensor1d([0, 1], 'int32');
    const optimizer = tf.train.sgd(1e-3);
    const restore = backends.slice(backends.indexOf(backend) + 1).some(trainsOn) ? await snapshot(model) : () => {};
    const unfreeze = tf.getKernel('Conv2DBackpropFilter', backend) ? () => {} : freezeConvFilters(model);
    model.train();
    try {
      const before = liveTensors();
      const loss = await trainStep(model, optimizer, () => classificationLoss(model.call(x), labels));
      expect(Number.isFinite(loss)).toBe(true);
      expect(liveTensors()).toBe(before);
    } finally {
      model.eval();
      unfreeze();
      restore();
      tf.dispose([x, labels]);
      optimizer.dispose();
    }
  });
});
