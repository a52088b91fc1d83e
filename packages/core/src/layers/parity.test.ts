import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Module } from '../module.js';
import { fromTorchLayout } from '../layout.js';
import { readSafetensors } from '../io/safetensors.js';
import type { HostTensor, StateDict } from '../io/host-tensor.js';
import { closeness, nchwToNhwc, testBackends, useTestBackend } from '../test-backends.js';
import { crossEntropy, mseLoss, smoothL1Loss } from '../train.js';
import { AdaptiveAvgPool2d } from './adaptive-avg-pool2d.js';
import { AvgPool2d } from './avg-pool2d.js';
import { BatchNorm2d } from './batch-norm2d.js';
import { Conv2d } from './conv2d.js';
import { ConvTranspose2d } from './conv-transpose2d.js';
import { Dropout } from './dropout.js';
import { Flatten } from './flatten.js';
import { Identity } from './identity.js';
import { Linear } from './linear.js';
import { LocalResponseNorm } from './local-response-norm.js';
import { MaxPool2d } from './max-pool2d.js';
import { ReLU } from './relu.js';
import { Sequential } from './sequential.js';

/**
 * Every layer against PyTorch 1.13 (fixtures from tools/fixtures/make_layer_fixtures.py): weights go in
 * through loadStateDict in PyTorch's layout, inputs are converted from NCHW, and the output, the
 * gradients of sum(output * probe) with respect to the input and every parameter, and (training mode)
 * the running statistics after the step are compared with references computed in float64.
 *
 * Errors are measured as max |ours - torch| / max |torch| over each tensor (the run prints the largest).
 * Measured on Node 20, x86-64: cpu outputs within 2e-7, gradients within 2e-6 (the largest: BatchNorm
 * weights in training mode inside a small network); wasm outputs and gradients within 4e-7. The tolerance
 * leaves room for other CPUs' summation orders and fused multiply-adds.
 */
const TOLERANCE = 1e-5;

/** Gradient kernels the backend does not have: cases needing them must fail naming kernel and backend. */
const MISSING_GRADIENT_KERNELS: Record<string, string[]> = {
  wasm: ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter'],
};

/**
 * Kernels that give wrong gradients on a backend. Gradient cases through the named layer are skipped on
 * that backend when they disagree with PyTorch, and `stillWrong` pins the bug so the entry goes once it is fixed.
 */
const WRONG_GRADIENT_KERNELS: Record<string, { layer: string; kernel: string; bug: string; stillWrong(): Promise<boolean> }[]> = {
  wasm: [{
    layer: 'MaxPool2d',
    kernel: 'MaxPoolGrad',
    bug: 'a window whose values are all negative sends its gradient to the wrong element, or nowhere',
    async stillWrong() {
      const x = tf.tensor4d([-2, -1, -3, -4], [1, 2, 2, 1]);
      const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid')))(x);
      const values = Array.from(await grad.data());
      tf.dispose([x, grad]);
      return values.join() !== '0,1,0,0';
    },
  }],
};

interface ModuleSpec {
  type: string;
  args?: Record<string, unknown>;
  children?: [string, ModuleSpec][];
}

interface LayerCase {
  name: string;
  module: ModuleSpec;
  mode: 'train' | 'eval';
  file: string;
  stateKeys: string[];
  parameters: string[];
}

interface LossCase {
  name: string;
  function: 'cross_entropy' | 'smooth_l1_loss' | 'mse_loss';
  kwargs: Record<string, number>;
  file: string;
}

const fixtures = new URL('./fixtures/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', fixtures), 'utf8')) as { cases: LayerCase[]; losses: LossCase[] };
const readFixture = (file: string) => readSafetensors(new Uint8Array(readFileSync(new URL(file, fixtures)))).tensors;

/** Takes PyTorch's constructor arguments out of `args`, renamed to ours; refuses arguments no mapping knows. */
function pytorchArgs(spec: ModuleSpec) {
  const rest = { ...spec.args };
  const take = <T>(name: string): T => {
    const value = rest[name];
    delete rest[name];
    return value as T;
  };
  const options = <T>(names: Record<string, string>): T => {
    const out: Record<string, unknown> = {};
    for (const [torchName, ours] of Object.entries(names)) if (torchName in rest) out[ours] = take(torchName);
    return out as T;
  };
  const done = <M>(module: M): M => {
    const left = Object.keys(rest);
    if (left.length) throw new Error(`${spec.type}: no mapping for PyTorch argument(s) ${left.join(', ')}`);
    return module;
  };
  return { take, options, done };
}

function build(spec: ModuleSpec): Module {
  const { take, options, done } = pytorchArgs(spec);
  const conv = { stride: 'stride', padding: 'padding', dilation: 'dilation', groups: 'groups', bias: 'bias' };
  const pool = { stride: 'stride', padding: 'padding', ceil_mode: 'ceilMode' };
  switch (spec.type) {
    case 'Sequential': {
      const children = spec.children!.map(([name, child]) => [name, build(child)] as const);
      return children.every(([name], i) => name === String(i))
        ? new Sequential(...children.map(([, m]) => m))
        : new Sequential(Object.fromEntries(children));
    }
    case 'Conv2d':
      return done(new Conv2d(take('in_channels'), take('out_channels'), take('kernel_size'), options(conv)));
    case 'ConvTranspose2d':
      return done(new ConvTranspose2d(take('in_channels'), take('out_channels'), take('kernel_size'), options({ ...conv, output_padding: 'outputPadding' })));
    case 'Linear':
      return done(new Linear(take('in_features'), take('out_features'), options({ bias: 'bias' })));
    case 'MaxPool2d':
      return done(new MaxPool2d(take('kernel_size'), options(pool)));
    case 'AvgPool2d':
      return done(new AvgPool2d(take('kernel_size'), options({ ...pool, count_include_pad: 'countIncludePad' })));
    case 'AdaptiveAvgPool2d':
      return done(new AdaptiveAvgPool2d(take('output_size')));
    case 'BatchNorm2d':
      return done(new BatchNorm2d(take('num_features'), options({ eps: 'eps', momentum: 'momentum', affine: 'affine', track_running_stats: 'trackRunningStats' })));
    case 'LocalResponseNorm':
      return done(new LocalResponseNorm(take('size'), take('alpha'), take('beta'), take('k')));
    case 'Dropout':
      return done(new Dropout(take('p')));
    case 'ReLU':
      return done(new ReLU());
    case 'Flatten':
      return done(new Flatten());
    case 'Identity':
      return done(new Identity());
    default:
      throw new Error(`no builder for PyTorch module ${spec.type}`);
  }
}

/** Tensors under `prefix.` with the prefix removed. */
function withPrefix(tensors: StateDict, prefix: string): StateDict {
  return new Map([...tensors].filter(([k]) => k.startsWith(`${prefix}.`)).map(([k, v]) => [k.slice(prefix.length + 1), v]));
}

/** A fixture tensor in our layout: NCHW activations become NHWC. */
function activation(t: HostTensor): tf.Tensor {
  const { data, shape } = nchwToNhwc(t.data as Float32Array, t.shape);
  return tf.tensor(data, shape, 'float32');
}

function expectedActivation(t: HostTensor): Float32Array {
  return nchwToNhwc(t.data as Float32Array, t.shape).data;
}

/** Largest error seen per backend and quantity, printed once so the tolerances above can be re-measured. */
const worst = new Map<string, { error: number; where: string }>();
function check(backend: string, what: string, where: string, actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  const { relative } = closeness(actual, expected);
  const key = `${backend} ${what}`;
  if (relative <= TOLERANCE && !(relative <= (worst.get(key)?.error ?? -1))) worst.set(key, { error: relative, where });
  if (!(relative <= TOLERANCE)) throw new Error(`${where}: ${what} differs from PyTorch by ${relative.toExponential(2)} of its largest value (tolerance ${TOLERANCE})`);
}

function loadCase(c: LayerCase): { model: Module; tensors: StateDict } {
  const tensors = readFixture(c.file);
  const model = build(c.module);
  model.loadStateDict(withPrefix(tensors, 'state'));
  model.train(c.mode === 'train');
  return { model, tensors };
}

function layerTypes(spec: ModuleSpec): string[] {
  return [spec.type, ...(spec.children ?? []).flatMap(([, child]) => layerTypes(child))];
}

/**
 * Runs `fn`; when it fails because of a gradient kernel listed above for this backend (missing: the error
 * names kernel and backend; wrong: the case goes through the layer using it), the test is skipped instead.
 */
async function skipKnownKernelGaps(backend: string, c: LayerCase, skip: (note: string) => void, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    const missing = /Kernel '(\w+)' not registered for backend '(\w+)'/.exec(String((error as Error).message));
    if (missing && missing[2] === backend && MISSING_GRADIENT_KERNELS[backend]?.includes(missing[1]!)) {
      skip(`${backend} has no ${missing[1]} kernel`);
    }
    const wrong = WRONG_GRADIENT_KERNELS[backend]?.find((k) => layerTypes(c.module).includes(k.layer));
    if (wrong && !missing) skip(`${backend} ${wrong.kernel}: ${wrong.bug}`);
    throw error;
  }
}

const backends = await testBackends();

afterAll(() => {
  const lines = [...worst].map(([key, { error, where }]) => `  ${key.padEnd(18)} ${error.toExponential(2)}  (${where})`);
  console.log(`largest relative error against PyTorch:\n${lines.join('\n')}`);
});

describe.each(backends)('%s backend', (backend) => {
  beforeAll(() => useTestBackend(backend));

  describe.each(manifest.cases)('$name', (c) => {
    it('state dict keys are PyTorch’s, in order', () => {
      const model = build(c.module);
      expect(model.namedParameters().map(([name]) => name)).toEqual(c.parameters);
      expect(model.namedParameters().length + model.namedBuffers().length).toBe(c.stateKeys.length);
      return model.stateDict().then((dict) => {
        expect([...dict.keys()]).toEqual(c.stateKeys);
        model.dispose();
      });
    });

    it(`forward (${c.mode} mode) matches PyTorch`, async () => {
      const before = tf.memory().numTensors;
      const { model, tensors } = loadCase(c);
      const x = activation(tensors.get('input')!);
      const y = model.call(x);
      check(backend, 'output', c.name, await y.data(), expectedActivation(tensors.get('output')!));
      if (c.mode === 'train') {
        const after = await model.stateDict();
        for (const [key, expected] of withPrefix(tensors, 'after')) {
          const actual = after.get(key)!;
          if (expected.dtype === 'int64') expect(actual.data, key).toEqual(expected.data);
          else check(backend, 'running stats', `${c.name} ${key}`, actual.data as Float32Array, expected.data as Float32Array);
        }
      }
      tf.dispose([x, y]);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });

    it('input gradient matches PyTorch', async ({ skip }) => {
      const before = tf.memory().numTensors;
      const { model, tensors } = loadCase(c);
      const x = activation(tensors.get('input')!);
      const probe = activation(tensors.get('probe')!);
      await skipKnownKernelGaps(backend, c, skip, async () => {
        let output: tf.Tensor | undefined;
        const grad = tf.grad((input: tf.Tensor) => {
          const y = model.call(input);
          output = tf.keep(tf.clone(y));
          return tf.sum(tf.mul(y, probe));
        })(x);
        check(backend, 'taped output', c.name, await output!.data(), expectedActivation(tensors.get('output')!));
        check(backend, 'input grad', c.name, await grad.data(), expectedActivation(tensors.get('grad.input')!));
        tf.dispose([output!, grad]);
      });
      tf.dispose([x, probe]);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });

    if (c.parameters.length === 0) return;
    it('parameter gradients match PyTorch', async ({ skip }) => {
      const before = tf.memory().numTensors;
      const { model, tensors } = loadCase(c);
      const x = activation(tensors.get('input')!);
      const probe = activation(tensors.get('probe')!);
      const layouts = new Map(model.namedParameterLayouts());
      await skipKnownKernelGaps(backend, c, skip, async () => {
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(model.call(x), probe)), model.trainableVariables());
        for (const [name, variable] of model.namedParameters()) {
          const expected = fromTorchLayout(tensors.get(`grad.${name}`)!, layouts.get(name)!);
          expect(variable.shape).toEqual(expected.shape);
          check(backend, 'parameter grad', `${c.name} ${name}`, await grads[variable.name]!.data(), expected.data as Float32Array);
        }
        tf.dispose([value, ...Object.values(grads)]);
      });
      tf.dispose([x, probe]);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  describe.each(manifest.losses)('loss $name', (c) => {
    it('value and gradient match PyTorch', async () => {
      const before = tf.memory().numTensors;
      const tensors = readFixture(c.file);
      const input = tf.tensor(tensors.get('input')!.data as Float32Array, tensors.get('input')!.shape);
      const targetHost = tensors.get('target')!;
      const target = targetHost.dtype === 'int64'
        ? tf.tensor1d(Int32Array.from(targetHost.data as BigInt64Array, Number), 'int32')
        : tf.tensor(targetHost.data as Float32Array, targetHost.shape);
      const loss = (p: tf.Tensor): tf.Scalar => {
        switch (c.function) {
          case 'cross_entropy': return crossEntropy(p, target, { ignoreIndex: c.kwargs.ignore_index });
          case 'smooth_l1_loss': return smoothL1Loss(p, target, c.kwargs.beta);
          case 'mse_loss': return mseLoss(p, target);
        }
      };
      const { value, grad } = tf.valueAndGrad(loss)(input);
      check(backend, 'loss', c.name, await value.data(), tensors.get('loss')!.data as Float32Array);
      check(backend, 'loss grad', c.name, await grad.data(), tensors.get('grad.input')!.data as Float32Array);
      tf.dispose([input, target, value, grad]);
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  it.each(MISSING_GRADIENT_KERNELS[backend] ?? [])('still has no %s kernel (else drop it from the list of gaps)', (kernel) => {
    expect(tf.getKernel(kernel, backend)).toBeUndefined();
  });

  it.each(WRONG_GRADIENT_KERNELS[backend] ?? [])('$kernel still has its bug (else drop it from the list): $bug', async (k) => {
    expect(await k.stillWrong()).toBe(true);
  });
});
