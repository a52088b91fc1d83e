import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { deterministicStateDict } from './deterministic.js';
import { type FusionSummary, fuseForInference, unfuse } from './fuse.js';
import type { StateDict } from './io/host-tensor.js';
import { BatchNorm2d } from './layers/batch-norm2d.js';
import { Conv2d, type Conv2dOptions } from './layers/conv2d.js';
import { Flatten } from './layers/flatten.js';
import { Identity } from './layers/identity.js';
import { Linear } from './layers/linear.js';
import { MaxPool2d } from './layers/max-pool2d.js';
import { ReLU } from './layers/relu.js';
import { Sequential } from './layers/sequential.js';
import { Module } from './module.js';
import { createModel, registerModel } from './registry.js';
import { expectClose, testBackends, useTestBackend } from './test-backends.js';

/**
 * fuseForInference on small networks: each is built twice with the same deterministic weights (BatchNorm
 * statistics included: weights and variances in 0.5 .. 1.5, means and biases in +-0.1), one twin fused,
 * and the twins' outputs compared to 1e-4 of the largest value.
 */
const SHAPE = [2, 9, 9, 3];

/** Conv (options as given) + BatchNorm + ReLU, then a second conv + ReLU without BatchNorm, then a pool. */
function convBnRelu(conv: Conv2dOptions, batchNorm: { affine?: boolean } = {}): Sequential {
  return new Sequential(
    new Conv2d(3, 6, 3, conv), new BatchNorm2d(6, batchNorm), new ReLU(),
    new Conv2d(6, 4, 1), new ReLU(), new MaxPool2d(2),
  );
}

/** torchvision's BasicBlock pattern: one ReLU module after bn1 and again after the residual addition. */
class ResidualBlock extends Module {
  readonly conv1 = this.registerModule('conv1', new Conv2d(4, 4, 3, { padding: 1, bias: false }));
  readonly bn1 = this.registerModule('bn1', new BatchNorm2d(4));
  readonly relu = this.registerModule('relu', new ReLU());
  readonly conv2 = this.registerModule('conv2', new Conv2d(4, 4, 3, { padding: 1, bias: false }));
  readonly bn2 = this.registerModule('bn2', new BatchNorm2d(4));

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const out = this.bn2.call(this.conv2.call(this.relu.call(this.bn1.call(this.conv1.call(x)))));
      return this.relu.call(tf.add(out, x));
    });
  }
}

function residualNet(): Sequential {
  return new Sequential({
    conv1: new Conv2d(3, 4, 3, { padding: 1, bias: false }), bn1: new BatchNorm2d(4), relu: new ReLU(),
    layer1: new Sequential(new ResidualBlock(), new ResidualBlock()),
    flatten: new Flatten(), fc1: new Linear(4 * 9 * 9, 8), relu1: new ReLU(), fc2: new Linear(8, 5),
  });
}

/** A convolution whose output goes to its BatchNorm and, through an Identity, straight to the sum as well. */
class TwoReaders extends Module {
  readonly conv = this.registerModule('conv', new Conv2d(3, 4, 3));
  readonly bn = this.registerModule('bn', new BatchNorm2d(4));
  readonly skip = this.registerModule('skip', new Identity());

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const y = this.conv.call(x);
      return tf.add(this.bn.call(y), this.skip.call(y));
    });
  }
}

/** Returns the convolution's output beside the BatchNorm's, so the caller reads it too. */
class ReturnsBoth extends Module<tf.Tensor, { raw: tf.Tensor; normalised: tf.Tensor }> {
  readonly conv = this.registerModule('conv', new Conv2d(3, 4, 3));
  readonly bn = this.registerModule('bn', new BatchNorm2d(4));

  forward(x: tf.Tensor): { raw: tf.Tensor; normalised: tf.Tensor } {
    const raw = this.conv.call(x);
    return { raw, normalised: this.bn.call(raw) };
  }
}

const CASES: { name: string; build: () => Module<tf.Tensor, unknown>; fused: FusionSummary }[] = [
  { name: 'conv + BN + ReLU, conv + ReLU', build: () => convBnRelu({ padding: 1 }), fused: { foldedBatchNorms: 1, batchNorms: 1, fusedRelus: 2, relus: 2 } },
  { name: 'conv without bias', build: () => convBnRelu({ padding: 1, bias: false }), fused: { foldedBatchNorms: 1, batchNorms: 1, fusedRelus: 2, relus: 2 } },
  { name: 'BN without affine parameters', build: () => convBnRelu({ padding: 1 }, { affine: false }), fused: { foldedBatchNorms: 1, batchNorms: 1, fusedRelus: 2, relus: 2 } },
  { name: 'dilated conv with stride 2', build: () => convBnRelu({ padding: 2, dilation: 2, stride: 2 }), fused: { foldedBatchNorms: 1, batchNorms: 1, fusedRelus: 2, relus: 2 } },
  {
    name: 'grouped and depthwise convs',
    build: () => new Sequential(
      new Conv2d(3, 6, 1), new Conv2d(6, 6, 3, { groups: 2, padding: 1 }), new BatchNorm2d(6), new ReLU(),
      new Conv2d(6, 6, 3, { groups: 6, padding: 1, bias: false }), new BatchNorm2d(6), new ReLU(),
    ),
    fused: { foldedBatchNorms: 2, batchNorms: 2, fusedRelus: 2, relus: 2 },
  },
  // Stem: BN and ReLU; each block: bn1 + its ReLU call, bn2 (the ReLU after the addition stays); fc1 + ReLU.
  { name: 'residual blocks sharing a ReLU, linear + ReLU', build: residualNet, fused: { foldedBatchNorms: 5, batchNorms: 5, fusedRelus: 4, relus: 6 } },
  { name: 'a conv output read twice', build: () => new TwoReaders(), fused: { foldedBatchNorms: 0, batchNorms: 1, fusedRelus: 0, relus: 0 } },
  { name: 'a conv output returned', build: () => new ReturnsBoth(), fused: { foldedBatchNorms: 0, batchNorms: 1, fusedRelus: 0, relus: 0 } },
];

/** Every tensor of a model's output, as host values. */
async function outputValues(output: unknown): Promise<Float32Array[]> {
  const tensors = output instanceof tf.Tensor ? [output] : Object.values(output as Record<string, tf.Tensor>);
  const values = await Promise.all(tensors.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose(tensors);
  return values;
}

async function expectSameOutputs(fused: Module<tf.Tensor, unknown>, reference: Module<tf.Tensor, unknown>, x: tf.Tensor, what: string): Promise<void> {
  const expected = await outputValues(reference.call(x));
  const actual = await outputValues(fused.call(x));
  expect(actual.length).toBe(expected.length);
  actual.forEach((values, i) => expectClose(values, expected[i]!, 1e-4, `${what}, output ${i}`));
}

/** Two models from `build` with the same weights. */
function twins(build: () => Module<tf.Tensor, unknown>, seed = 0): [Module<tf.Tensor, unknown>, Module<tf.Tensor, unknown>] {
  const [a, b] = [build(), build()];
  const dict = deterministicStateDict(a, seed);
  a.loadStateDict(dict);
  b.loadStateDict(dict);
  return [a.eval(), b.eval()];
}

/** The module that holds parameter `name` ('layer1.0.conv1.weight' -> layer1.0.conv1). */
const moduleOf = (model: Module<any, any>, name: string) => new Map(model.namedModules()).get(name.slice(0, name.lastIndexOf('.')));

const bytesOf = (dict: StateDict) => new Map([...dict].map(([k, t]) => [k, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice()]));

const backends = await testBackends();

describe.each(backends)('fuseForInference on %s', (backend) => {
  beforeAll(() => useTestBackend(backend));

  it.each(CASES)('$name: fuses what it can and equals the unfused model', async ({ build, fused: counts }) => {
    const before = tf.memory().numTensors;
    const [fused, reference] = twins(build);
    expect(fuseForInference(fused, SHAPE)).toEqual(counts);
    const x = tf.randomNormal(SHAPE, 0, 1, 'float32', 1);
    await expectSameOutputs(fused, reference, x, 'fused');
    // A second call fuses the same pairs afresh and frees the first folded weights.
    expect(fuseForInference(fused, SHAPE)).toEqual(counts);
    await expectSameOutputs(fused, reference, x, 'fused twice');
    tf.dispose([x]);
    fused.dispose();
    reference.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('runs convolutions with their activation and no BatchNorm or ReLU kernel once fused', async () => {
    const model = convBnRelu({ padding: 1 }).eval();
    const x = tf.randomNormal(SHAPE);
    const kernels = async () => {
      const profile = await tf.profile(() => tf.dispose(model.call(x)));
      return [...new Set(profile.kernelNames)].sort();
    };
    expect(await kernels()).toEqual(expect.arrayContaining(['FusedBatchNorm', 'Relu']));
    fuseForInference(model, SHAPE);
    const fused = await kernels();
    expect(fused).toContain('FusedConv2D');
    expect(fused).not.toContain('FusedBatchNorm');
    expect(fused).not.toContain('Relu');
    x.dispose();
    model.dispose();
  });

  it('leaves parameters and the state dict byte for byte as they were', async () => {
    const model = residualNet();
    model.loadStateDict(deterministicStateDict(model));
    model.eval();
    const dict = bytesOf(await model.stateDict());
    fuseForInference(model, SHAPE);
    const x = tf.randomNormal(SHAPE);
    (model.call(x) as tf.Tensor).dispose();
    expect(bytesOf(await model.stateDict())).toEqual(dict);
    x.dispose();
    model.dispose();
  });

  it('folds again after loadStateDict or an assignment, and frees the stale folded weights', async () => {
    const [fused, reference] = twins(residualNet);
    fuseForInference(fused, SHAPE);
    const x = tf.randomNormal(SHAPE, 0, 1, 'float32', 2);
    await expectSameOutputs(fused, reference, x, 'first weights');
    const live = tf.memory().numTensors;
    const other = deterministicStateDict(fused, 7);
    fused.loadStateDict(other);
    reference.loadStateDict(other);
    await expectSameOutputs(fused, reference, x, 'after loadStateDict');
    const bn = (fused.namedModules().find(([name]) => name === 'layer1.0.bn1')![1]) as BatchNorm2d;
    const referenceBn = (reference.namedModules().find(([name]) => name === 'layer1.0.bn1')![1]) as BatchNorm2d;
    for (const m of [bn, referenceBn]) tf.tidy(() => m.runningVar!.assign(tf.fill([4], 3)));
    await expectSameOutputs(fused, reference, x, 'after assigning a running variance');
    expect(tf.memory().numTensors).toBe(live);
    x.dispose();
    fused.dispose();
    reference.dispose();
  });

  it('computes the layers apart in train mode (batch statistics) and folds again in eval', async () => {
    const [fused, reference] = twins(residualNet);
    fuseForInference(fused, SHAPE);
    const x = tf.randomNormal(SHAPE, 0, 1, 'float32', 3);
    fused.train();
    reference.train();
    await expectSameOutputs(fused, reference, x, 'train mode');
    const runningMeans = async (m: Module<any, any>) => Promise.all(m.namedBuffers().filter(([n]) => n.endsWith('running_mean')).map(async ([, v]) => v.data()));
    expect(await runningMeans(fused)).toEqual(await runningMeans(reference));
    fused.eval();
    reference.eval();
    await expectSameOutputs(fused, reference, x, 'eval mode after training');
    x.dispose();
    fused.dispose();
    reference.dispose();
  });

  it('takes gradients of the real variables under a tape, even in eval mode', async () => {
    const [fused, reference] = twins(residualNet);
    fuseForInference(fused, SHAPE);
    const x = tf.randomNormal(SHAPE, 0, 1, 'float32', 4);
    // Raw tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter: there, gradients of every variable but the filters.
    const withFilters = tf.getKernel('Conv2DBackpropFilter', backend) !== undefined;
    const differentiated = (m: Module<any, any>) => m.namedParameters().filter(([name]) => withFilters || !(moduleOf(m, name) instanceof Conv2d));
    const gradients = (m: Module<any, any>) => tf.variableGrads(() => tf.sum(m.call(x) as tf.Tensor) as tf.Scalar, differentiated(m).map(([, v]) => v));
    const a = gradients(fused);
    const b = gradients(reference);
    expect(Object.keys(a.grads).sort()).toEqual(differentiated(fused).map(([, v]) => v.name).sort());
    const referenceGrads = new Map(differentiated(reference).map(([name, v]) => [name, b.grads[v.name]!]));
    for (const [name, v] of differentiated(fused)) {
      expectClose(await a.grads[v.name]!.data(), await referenceGrads.get(name)!.data(), 1e-4, `gradient of ${name}`);
    }
    tf.dispose([x, a.value, b.value, ...Object.values(a.grads), ...Object.values(b.grads)]);
    fused.dispose();
    reference.dispose();
  });

  it('undoes the fusion with unfuse', async () => {
    const before = tf.memory().numTensors;
    const [fused, reference] = twins(residualNet);
    fuseForInference(fused, SHAPE);
    const x = tf.randomNormal(SHAPE);
    (fused.call(x) as tf.Tensor).dispose();
    unfuse(fused);
    expect(fused.namedModules().filter(([, m]) => (m instanceof Conv2d && m.fold) || (m instanceof Linear && m.fusedRelu))).toEqual([]);
    await expectSameOutputs(fused, reference, x, 'unfused');
    x.dispose();
    fused.dispose();
    reference.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('fuseForInference input shape', () => {
  beforeAll(() => useTestBackend(backends[0]!));

  it("traces a registered model at its registry entry's size and asks for a shape otherwise", () => {
    registerModel({
      name: 'fuse_test_net', task: 'classification', family: 'test', description: 'conv-bn-relu test network',
      inputShape: [9, 9, 3], minInputSize: 9, numClasses: 4, create: () => convBnRelu({ padding: 1 }),
    });
    const registered = createModel('fuse_test_net');
    expect(fuseForInference(registered).foldedBatchNorms).toBe(1);
    registered.dispose();
    const unregistered = convBnRelu({ padding: 1 });
    expect(() => fuseForInference(unregistered)).toThrow(/needs the input shape \[N, H, W, C\] for Sequential/);
    unregistered.dispose();
  });
});
