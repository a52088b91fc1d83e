import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, Conv2d, ConvTranspose2d, Dropout, Flatten, Identity, Linear, LocalResponseNorm, MaxPool2d,
  type HostTensor, type Module, ReLU, Sequential, type StateDict, crossEntropy, fromTorchLayout, readSafetensors,
} from '@convkit/core';

/**
 * core's layer fixtures (PyTorch 1.13 references, packages/core/src/layers/fixtures) run through the
 * active backend: each case's output, input gradient and parameter gradients, as core's
 * parity.test.ts checks them. Shared by backend-cuda's tests (over the host model of its addon),
 * tools/device/cuda-check.ts (on the GPU) and backend-onednn's tests.
 */
export interface LayerParityResult {
  cases: number;
  comparisons: number;
  worstRelativeError: number;
  failures: string[];
}

interface LayerCase {
  name: string;
  module: LayerSpec;
  mode: 'train' | 'eval';
  file: string;
  parameters: string[];
}

interface LayerSpec {
  type: string;
  args?: Record<string, unknown>;
  children?: [string, LayerSpec][];
}

/** max |a - b| / max |b|: the measure core's tolerances are stated in. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    const d = Math.abs(actual[i]! - expected[i]!);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  return worst / (scale || 1);
}

/** Our module for a PyTorch module spec of the fixture manifest (PyTorch argument names mapped to ours). */
function buildLayer(spec: LayerSpec): Module {
  const a = { ...spec.args } as Record<string, any>;
  const conv = { stride: a.stride, padding: a.padding, dilation: a.dilation, groups: a.groups, bias: a.bias };
  const pool = { stride: a.stride, padding: a.padding, ceilMode: a.ceil_mode };
  const clean = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  switch (spec.type) {
    case 'Sequential': {
      const children = spec.children!.map(([name, child]) => [name, buildLayer(child)] as const);
      return children.every(([name], i) => name === String(i)) ? new Sequential(...children.map(([, m]) => m)) : new Sequential(Object.fromEntries(children));
    }
    case 'Conv2d': return new Conv2d(a.in_channels, a.out_channels, a.kernel_size, clean(conv));
    case 'ConvTranspose2d': return new ConvTranspose2d(a.in_channels, a.out_channels, a.kernel_size, clean({ ...conv, outputPadding: a.output_padding }));
    case 'Linear': return new Linear(a.in_features, a.out_features, clean({ bias: a.bias }));
    case 'MaxPool2d': return new MaxPool2d(a.kernel_size, clean(pool));
    case 'AvgPool2d': return new AvgPool2d(a.kernel_size, clean({ ...pool, countIncludePad: a.count_include_pad }));
    case 'AdaptiveAvgPool2d': return new AdaptiveAvgPool2d(a.output_size);
    case 'BatchNorm2d': return new BatchNorm2d(a.num_features, clean({ eps: a.eps, momentum: a.momentum, affine: a.affine, trackRunningStats: a.track_running_stats }));
    case 'LocalResponseNorm': return new LocalResponseNorm(a.size, a.alpha, a.beta, a.k);
    case 'Dropout': return new Dropout(a.p);
    case 'ReLU': return new ReLU();
    case 'Flatten': return new Flatten();
    case 'Identity': return new Identity();
    default: throw new Error(`no builder for PyTorch module ${spec.type}`);
  }
}

/** PyTorch's NCHW fixture data in our NHWC order (other ranks unchanged). */
function nhwcData(t: HostTensor): { data: Float32Array; shape: number[] } {
  const data = t.data as Float32Array;
  if (t.shape.length !== 4) return { data, shape: t.shape.slice() };
  const [n, c, h, w] = t.shape as [number, number, number, number];
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    out[((b * h + y) * w + x) * c + ch] = data[((b * c + ch) * h + y) * w + x]!;
  }
  return { data: out, shape: [n, h, w, c] };
}

function nchwToNhwc(t: HostTensor): tf.Tensor {
  const { data, shape } = nhwcData(t);
  return tf.tensor(data, shape, 'float32');
}

function withPrefix(tensors: StateDict, prefix: string): StateDict {
  return new Map([...tensors].filter(([k]) => k.startsWith(`${prefix}.`)).map(([k, v]) => [k.slice(prefix.length + 1), v]));
}

export async function runLayerParity(fixtures: string, tolerance: number, filter: (name: string) => boolean = () => true): Promise<LayerParityResult> {
  const manifest = JSON.parse(readFileSync(join(fixtures, 'manifest.json'), 'utf8')) as { cases: LayerCase[] };
  const cases = manifest.cases.filter((c) => filter(c.name));
  const failures: string[] = [];
  let worst = 0;
  let comparisons = 0;
  const check = (what: string, actual: ArrayLike<number>, expected: ArrayLike<number>) => {
    const e = relativeError(actual, expected);
    comparisons++;
    worst = Math.max(worst, e);
    if (!(e <= tolerance)) failures.push(`${what}: ${e.toExponential(2)}`);
  };
  for (const c of cases) {
    const tensors = readSafetensors(new Uint8Array(readFileSync(join(fixtures, c.file)))).tensors;
    // A fresh model per check, as core's parity test builds them: train-mode steps update buffers.
    const load = () => {
      const model = buildLayer(c.module);
      model.loadStateDict(withPrefix(tensors, 'state'));
      model.train(c.mode === 'train');
      return model;
    };
    const x = nchwToNhwc(tensors.get('input')!);
    const probe = nchwToNhwc(tensors.get('probe')!);
    const models: Module[] = [];
    try {
      const forward = load();
      models.push(forward);
      const y = forward.call(x) as tf.Tensor;
      check(`${c.name} output`, await y.data(), nhwcData(tensors.get('output')!).data);
      y.dispose();
      const taped = load();
      models.push(taped);
      const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(taped.call(input) as tf.Tensor, probe)))(x);
      check(`${c.name} input grad`, await dx.data(), nhwcData(tensors.get('grad.input')!).data);
      dx.dispose();
      if (c.parameters.length) {
        const model = load();
        models.push(model);
        const layouts = new Map(model.namedParameterLayouts());
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(model.call(x) as tf.Tensor, probe)), model.trainableVariables());
        for (const [name, variable] of model.namedParameters()) {
          const expected = fromTorchLayout(tensors.get(`grad.${name}`)!, layouts.get(name)!);
          check(`${c.name} grad ${name}`, await grads[variable.name]!.data(), expected.data as Float32Array);
        }
        tf.dispose([value, ...Object.values(grads)]);
      }
    } catch (error) {
      failures.push(`${c.name}: ${(error as Error).message}`);
    } finally {
      tf.dispose([x, probe]);
      for (const m of models) m.dispose();
    }
  }
  return { cases: cases.length, comparisons, worstRelativeError: worst, failures };
}

/** The cross-entropy loss of `model` on (x, labels) and the gradient of each parameter, by name: one train step's numbers, for comparing backends. */
export async function lossAndGradients(model: Module<tf.Tensor, unknown>, x: tf.Tensor, labels: tf.Tensor): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
  const { value, grads } = tf.variableGrads(() => crossEntropy(model.call(x) as tf.Tensor, labels), model.trainableVariables());
  const out = new Map<string, Float32Array>();
  for (const [name, v] of model.namedParameters()) out.set(name, Float32Array.from(await grads[v.name]!.data()));
  const loss = (await value.data())[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, grads: out };
}
