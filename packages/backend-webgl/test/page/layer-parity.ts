import * as tf from '@tensorflow/tfjs-core';
import {
  type HostTensor, type Module, type StateDict, crossEntropy, fromTorchLayout, mseLoss, readSafetensors, smoothL1Loss, useBackend,
} from '@convkit/core';
import { type Measurement, nchwToNhwc, relativeError } from './compare.js';
import { type ModuleSpec, buildModule } from './pytorch-modules.js';

interface LayerCase {
  name: string;
  module: ModuleSpec;
  mode: 'train' | 'eval';
  file: string;
  parameters: string[];
}

interface LossCase {
  name: string;
  function: 'cross_entropy' | 'smooth_l1_loss' | 'mse_loss';
  kwargs: Record<string, number>;
  file: string;
}

interface Fixtures {
  cases: LayerCase[];
  losses: LossCase[];
  tensors: Map<string, StateDict>;
}

/** The PyTorch layer fixtures of packages/core, fetched once from the folder the test serves at `base`. */
export async function loadFixtures(base: string): Promise<Fixtures> {
  const manifest = (await (await fetch(`${base}manifest.json`)).json()) as { cases: LayerCase[]; losses: LossCase[] };
  const files = [...manifest.cases, ...manifest.losses].map((c) => c.file);
  const tensors = new Map<string, StateDict>();
  await Promise.all(files.map(async (file) => {
    const response = await fetch(`${base}${file}`);
    if (!response.ok) throw new Error(`fixture ${file}: HTTP ${response.status}`);
    tensors.set(file, readSafetensors(new Uint8Array(await response.arrayBuffer())).tensors);
  }));
  return { ...manifest, tensors };
}

function withPrefix(tensors: StateDict, prefix: string): StateDict {
  return new Map([...tensors].filter(([k]) => k.startsWith(`${prefix}.`)).map(([k, v]) => [k.slice(prefix.length + 1), v]));
}

function activation(t: HostTensor): tf.Tensor {
  const { data, shape } = nchwToNhwc(t.data as Float32Array, t.shape);
  return tf.tensor(data, shape, 'float32');
}

const expected = (t: HostTensor) => nchwToNhwc(t.data as Float32Array, t.shape).data;

/**
 * Every layer fixture on `backend`, as packages/core/src/layers/parity.test.ts runs them in Node: the
 * forward pass (and running statistics after a training-mode step), the gradient of sum(output * probe)
 * with respect to the input and every parameter, and each loss with its gradient. Returns one
 * measurement per compared tensor: the relative error against PyTorch, or the error the case threw.
 */
export async function runLayerParity(backend: string, fixtures: Fixtures): Promise<Measurement[]> {
  await useBackend(backend);
  const out: Measurement[] = [];
  const record = (name: string, quantity: string, actual: ArrayLike<number>, reference: ArrayLike<number>) =>
    out.push({ backend, suite: 'layers', name, quantity, relativeError: relativeError(actual, reference) });
  const attempt = async (name: string, quantity: string, fn: () => Promise<void>) => {
    const before = tf.memory().numTensors;
    const t0 = performance.now();
    try {
      await fn();
      const ms = performance.now() - t0;
      if (ms > 500) console.log(`slow: ${backend} ${name} ${quantity} ${ms.toFixed(0)} ms`);
      const leaked = tf.memory().numTensors - before;
      if (leaked) out.push({ backend, suite: 'layers', name, quantity: `${quantity} (tensors)`, error: `leaked ${leaked} tensors` });
    } catch (error) {
      out.push({ backend, suite: 'layers', name, quantity, error: String((error as Error).stack ?? error) });
    }
  };

  for (const c of fixtures.cases) {
    const tensors = fixtures.tensors.get(c.file)!;
    const load = (): Module => {
      const model = buildModule(c.module);
      model.loadStateDict(withPrefix(tensors, 'state'));
      model.train(c.mode === 'train');
      return model;
    };
    await attempt(c.name, 'output', async () => {
      const model = load();
      const x = activation(tensors.get('input')!);
      const y = model.call(x);
      record(c.name, 'output', await y.data(), expected(tensors.get('output')!));
      if (c.mode === 'train') {
        const after = await model.stateDict();
        for (const [key, reference] of withPrefix(tensors, 'after')) {
          const actual = after.get(key)!;
          if (reference.dtype === 'int64') {
            if (String(actual.data) !== String(reference.data)) throw new Error(`${key}: ${actual.data} != ${reference.data}`);
          } else {
            record(c.name, 'running stats', actual.data as Float32Array, reference.data as Float32Array);
          }
        }
      }
      tf.dispose([x, y]);
      model.dispose();
    });
    await attempt(c.name, 'input grad', async () => {
      const model = load();
      const x = activation(tensors.get('input')!);
      const probe = activation(tensors.get('probe')!);
      const grad = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(model.call(input), probe)))(x);
      record(c.name, 'input grad', await grad.data(), expected(tensors.get('grad.input')!));
      tf.dispose([x, probe, grad]);
      model.dispose();
    });
    if (c.parameters.length === 0) continue;
    await attempt(c.name, 'parameter grad', async () => {
      const model = load();
      const x = activation(tensors.get('input')!);
      const probe = activation(tensors.get('probe')!);
      const layouts = new Map(model.namedParameterLayouts());
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(model.call(x), probe)), model.trainableVariables());
      for (const [name, variable] of model.namedParameters()) {
        const reference = fromTorchLayout(tensors.get(`grad.${name}`)!, layouts.get(name)!);
        record(`${c.name} ${name}`, 'parameter grad', await grads[variable.name]!.data(), reference.data as Float32Array);
      }
      tf.dispose([x, probe, value, ...Object.values(grads)]);
      model.dispose();
    });
  }

  for (const c of fixtures.losses) {
    const tensors = fixtures.tensors.get(c.file)!;
    await attempt(`loss ${c.name}`, 'loss', async () => {
      const inputHost = tensors.get('input')!;
      const targetHost = tensors.get('target')!;
      const input = tf.tensor(inputHost.data as Float32Array, inputHost.shape);
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
      record(`loss ${c.name}`, 'loss', await value.data(), tensors.get('loss')!.data as Float32Array);
      record(`loss ${c.name}`, 'loss grad', await grad.data(), tensors.get('grad.input')!.data as Float32Array);
      tf.dispose([input, target, value, grad]);
    });
  }
  return out;
}
