import * as tf from '@tensorflow/tfjs-core';
import {
  AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, Concat, Conv2d, ConvTranspose2d, type ConvTranspose2dOptions, LocalResponseNorm, MaxPool2d,
  Module, ReLU, Sequential, deterministicStateDict, getModelEntry, listModels, useBackend,
} from '@convkit/core';
import { closeness } from '@convkit/test-utils/layer-parity';
import { type Measurement, patternInput } from './compare.js';
import { compareOnWebgl } from './classifiers.js';
import { countBlockingReads, forwardValues } from './readback.js';

/** `module` with deterministic weights on [N, H, W, C] pattern input: webgl output against cpu output. */
async function moduleOnWebgl(suite: string, name: string, build: () => Module, shape: [number, number, number, number]): Promise<Measurement> {
  const m: Measurement = { backend: 'webgl', suite, name, quantity: 'output vs cpu' };
  await useBackend('cpu');
  const module = build();
  const x = tf.tensor(patternInput(shape.reduce((a, b) => a * b), 7), shape);
  try {
    module.loadStateDict(deterministicStateDict(module, 3));
    module.eval();
    const cpu = await forwardValues(module, x);
    await useBackend('webgl');
    const t0 = performance.now();
    const { result: webgl, blockingReads } = await countBlockingReads(() => forwardValues(module, x));
    m.ms = performance.now() - t0;
    m.relativeError = closeness(webgl, cpu).maxRelativeError;
    if (blockingReads) m.error = `${blockingReads} blocking readbacks`;
  } catch (error) {
    m.error = String((error as Error).stack ?? error);
  } finally {
    x.dispose();
    module.dispose();
    await useBackend('cpu');
  }
  return m;
}

/**
 * tfjs's conv2dTranspose on webgl has differed from the other backends (packed and unpacked paths,
 * stride > kernel, output padding). The upsampling layers FCN uses (k4 s2, k16 s8, k64 s32 over 21 classes)
 * and odd-sized, grouped and dilated variants.
 */
const TRANSPOSED: [string, number, number, number, ConvTranspose2dOptions, [number, number]][] = [
  ['fcn k4 s2 21ch', 21, 21, 4, { stride: 2, bias: false }, [7, 9]],
  ['fcn k16 s8 21ch', 21, 21, 16, { stride: 8, bias: false }, [5, 7]],
  ['fcn k64 s32 21ch', 21, 21, 64, { stride: 32, bias: false }, [3, 4]],
  ['k3 s2 p1 op1 odd 13x11', 5, 3, 3, { stride: 2, padding: 1, outputPadding: 1 }, [13, 11]],
  ['k3 s1 p1 16ch 7x9', 16, 8, 3, { padding: 1 }, [7, 9]],
  ['k2 s2 64ch 7x9', 64, 32, 2, { stride: 2 }, [7, 9]],
  ['k3 s2 groups 2 7x9', 8, 6, 3, { stride: 2, padding: 1, groups: 2 }, [7, 9]],
  ['k3 d2 s2 op1 9x7', 4, 6, 3, { stride: 2, dilation: 2, outputPadding: 1 }, [9, 7]],
];

/** Parallel branches concatenated along channels, as in an Inception block. */
class Branches extends Module {
  readonly branches: Module[];
  readonly concat = new Concat();

  constructor(...branches: Module[]) {
    super();
    this.branches = branches.map((b, i) => this.registerModule(String(i), b));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.concat.call(this.branches.map((b) => b.call(x))));
  }
}

/** A stem and an inception-like branch point, each stage leaving odd sizes behind: packed 2x2 textures meet odd edges. */
function oddStack(channels: number): Module {
  const branches = new Branches(
    new Sequential(new Conv2d(16, 8, 1), new ReLU()),
    new Sequential(new Conv2d(16, 5, 3, { padding: 1 }), new LocalResponseNorm(3, 1e-2, 0.75, 1)),
    new Sequential(new MaxPool2d(3, { stride: 1, padding: 1 }), new Conv2d(16, 3, 1, { bias: false })),
  );
  return new Sequential(
    new Conv2d(channels, 16, 3, { padding: 1 }), new BatchNorm2d(16), new ReLU(),
    new Conv2d(16, 16, 3, { padding: 1, groups: 16 }),
    branches,
    new MaxPool2d(3, { stride: 2, ceilMode: true }),
    new Conv2d(16, 7, 3, { stride: 2, padding: 1 }),
    new AvgPool2d(2, { ceilMode: true, countIncludePad: false }),
    new AdaptiveAvgPool2d([2, 3]),
  );
}

const ODD_SIZES: [number, number][] = [[7, 9], [13, 11], [31, 17], [5, 3], [3, 5]];

/**
 * A classifier again at an odd, non-square size (oddStack has the Inception-like branches); resnet18 also
 * stands for the ImageNet ResNets, which the classifier suite's one-per-family default leaves to the
 * smallest (CIFAR) ResNet.
 */
const ODD_MODELS: [string, number, number][] = [['resnet18', 33, 47]];

export async function runPitfalls(): Promise<Measurement[]> {
  const out: Measurement[] = [];
  for (const [name, inC, outC, k, options, [h, w]] of TRANSPOSED) {
    out.push(await moduleOnWebgl('conv transpose', name, () => new ConvTranspose2d(inC, outC, k, options), [2, h, w, inC]));
  }
  for (const [h, w] of ODD_SIZES) {
    for (const channels of [3, 4]) {
      out.push(await moduleOnWebgl('odd sizes', `conv stack ${channels}ch ${h}x${w}`, () => oddStack(channels), [2, h, w, channels]));
    }
  }
  const registered = new Set(listModels({ task: 'classification' }).map((e) => e.name));
  for (const [model, h, w] of ODD_MODELS) {
    if (registered.has(model)) out.push(await compareOnWebgl(getModelEntry(model), h, w, 'odd sizes'));
  }
  out.push(await padHighRank());
  out.push(await asyncReadback());
  return out;
}

/** tf.pad and its gradient at rank 6, as convkit's dilated kernels use it (the stock webgl shaders stop at rank 4). */
async function padHighRank(): Promise<Measurement> {
  const m: Measurement = { backend: 'webgl', suite: 'pad', name: 'pad rank 6 and its gradient', quantity: 'output and gradient vs cpu' };
  const shape = [3, 1, 2, 1, 4, 5];
  const paddings: [number, number][] = [[0, 0], [0, 2], [0, 0], [1, 1], [0, 0], [2, 0]];
  const run = async () => {
    const x = tf.tensor(patternInput(120), shape);
    const probe = tf.tensor(patternInput(3 * 3 * 2 * 3 * 4 * 7, 5), [3, 3, 2, 3, 4, 7]);
    const padded = tf.pad(x, paddings, 0.5);
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.pad(t, paddings, 0.5), probe)))(x);
    const out = [...(await padded.data()), ...(await grad.data())];
    tf.dispose([x, probe, padded, grad]);
    return out;
  };
  try {
    await useBackend('cpu');
    const cpu = await run();
    await useBackend('webgl');
    const { result: webgl, blockingReads } = await countBlockingReads(run);
    m.relativeError = closeness(webgl, cpu).maxRelativeError;
    if (blockingReads) m.error = `${blockingReads} blocking readbacks`;
  } catch (error) {
    m.error = String((error as Error).stack ?? error);
  } finally {
    await useBackend('cpu');
  }
  return m;
}

/**
 * What the page does while webgl computes: the forward pass only queues GPU work, and `await y.data()`
 * waits on a fence, polling, so timers keep firing. The ticks counted during the read are the proof.
 */
async function asyncReadback(): Promise<Measurement> {
  const m: Measurement = { backend: 'webgl', suite: 'async readback', name: 'oddStack 2x96x96x3', quantity: 'timers during await data()' };
  await useBackend('webgl');
  const module = oddStack(3);
  module.loadStateDict(deterministicStateDict(module));
  module.eval();
  const x = tf.tensor(patternInput(2 * 96 * 96 * 3), [2, 96, 96, 3]);
  try {
    await forwardValues(module, x);
    let ticks = 0;
    let ticking = true;
    const tick = () => {
      if (!ticking) return;
      ticks++;
      setTimeout(tick, 0);
    };
    const { blockingReads } = await countBlockingReads(async () => {
      const t0 = performance.now();
      const y = module.call(x) as tf.Tensor;
      const queued = performance.now();
      setTimeout(tick, 0);
      await y.data();
      ticking = false;
      y.dispose();
      m.ms = performance.now() - t0;
      m.quantity = `timers during await data() (forward queued in ${(queued - t0).toFixed(0)} ms, read in ${(performance.now() - queued).toFixed(0)} ms)`;
    });
    m.ticks = ticks;
    if (blockingReads) m.error = `${blockingReads} blocking readbacks`;
    else if (ticks === 0) m.error = 'no timer fired while the result was read back: the page was blocked';
  } catch (error) {
    m.error = String((error as Error).stack ?? error);
  } finally {
    x.dispose();
    module.dispose();
    await useBackend('cpu');
  }
  return m;
}
