import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { deterministicStateDict } from './deterministic.js';
import { LayerInputError, StateDictError } from './errors.js';
import type { HostTensor, StateDict } from './io/host-tensor.js';
import { readSafetensors, writeSafetensors } from './io/safetensors.js';
import { BatchNorm2d } from './layers/batch-norm2d.js';
import { Conv2d } from './layers/conv2d.js';
import { Dropout } from './layers/dropout.js';
import { Flatten } from './layers/flatten.js';
import { Linear } from './layers/linear.js';
import { MaxPool2d } from './layers/max-pool2d.js';
import { ReLU } from './layers/relu.js';
import { Sequential } from './layers/sequential.js';
import { Module } from './module.js';
import { testBackends, useTestBackend } from './test-backends.js';

/**
 * x: [N, 9, 9, 3] -> [N, 10]. PyTorch's state_dict for the same model (checked against torch by the
 * nested_model cases of layers/parity.test.ts) lists, in this order: features.0.weight, features.0.bias,
 * features.1.weight, features.1.bias, features.1.running_mean, features.1.running_var,
 * features.1.num_batches_tracked, classifier.1.weight, classifier.1.bias.
 */
function smallNet() {
  return new Sequential({
    features: new Sequential(new Conv2d(3, 8, 3, { padding: 1 }), new BatchNorm2d(8), new ReLU(), new MaxPool2d(2)),
    flatten: new Flatten(),
    classifier: new Sequential(new Dropout(0.5), new Linear(128, 10)),
  });
}

const TORCH_KEYS = [
  'features.0.weight', 'features.0.bias',
  'features.1.weight', 'features.1.bias', 'features.1.running_mean', 'features.1.running_var', 'features.1.num_batches_tracked',
  'classifier.1.weight', 'classifier.1.bias',
];

async function snapshot(model: Module<any, any>): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const [name, v] of [...model.namedParameters(), ...model.namedBuffers()]) out.set(name, Array.from(await v.data()));
  return out;
}

function loadError(model: Module<any, any>, dict: StateDict, options?: { strict?: boolean }): StateDictError {
  try {
    model.loadStateDict(dict, options);
  } catch (error) {
    expect(error).toBeInstanceOf(StateDictError);
    return error as StateDictError;
  }
  throw new Error('loadStateDict accepted the dict');
}

const backends = await testBackends();

describe.each(backends)('%s backend', (backend) => {
  beforeAll(() => useTestBackend(backend));

  describe('names and order', () => {
    it('gives nested modules PyTorch’s dotted names, in state_dict order', async () => {
      const model = smallNet();
      const dict = await model.stateDict();
      expect([...dict.keys()]).toEqual(TORCH_KEYS);
      expect(model.namedParameters().map(([n]) => n)).toEqual(TORCH_KEYS.filter((k) => !/running|num_batches/.test(k)));
      expect(model.namedBuffers().map(([n]) => n)).toEqual(['features.1.running_mean', 'features.1.running_var', 'features.1.num_batches_tracked']);
      expect(model.namedModules().map(([n, m]) => `${n}:${m.typeName}`)).toEqual([
        ':Sequential', 'features:Sequential', 'features.0:Conv2d', 'features.1:BatchNorm2d', 'features.2:ReLU', 'features.3:MaxPool2d',
        'flatten:Flatten', 'classifier:Sequential', 'classifier.0:Dropout', 'classifier.1:Linear',
      ]);
      expect(model.namedModules().find(([n]) => n === 'features.1')![1].path()).toBe('features.1');
      model.dispose();
    });

    it('writes weights in PyTorch layouts and dtypes', async () => {
      const model = smallNet();
      const dict = await model.stateDict();
      const shape = (k: string) => dict.get(k)!.shape;
      expect(shape('features.0.weight')).toEqual([8, 3, 3, 3]);
      expect(shape('classifier.1.weight')).toEqual([10, 128]);
      expect(dict.get('features.1.num_batches_tracked')).toEqual({ dtype: 'int64', shape: [], data: new BigInt64Array([0n]) });
      model.dispose();
    });

    it('refuses a second member of the same name, and dotted names', () => {
      class Twice extends Module {
        constructor(second: string) {
          super();
          this.registerParameter('w', tf.zeros([1]));
          this.registerBuffer(second, tf.zeros([1]));
        }
        forward(x: tf.Tensor) { return x; }
      }
      expect(() => new Twice('w')).toThrow("'w' is already registered on Twice");
      expect(() => new Twice('a.b')).toThrow("invalid member name 'a.b'");
    });
  });

  describe('state dicts', () => {
    it('round-trips through safetensors: stateDict -> write -> read -> loadStateDict', async () => {
      const source = smallNet();
      source.loadStateDict(deterministicStateDict(source, 3));
      const bytes = writeSafetensors(await source.stateDict());
      const target = smallNet();
      expect(target.loadStateDict(readSafetensors(bytes).tensors)).toEqual({ missingKeys: [], unexpectedKeys: [] });
      expect(await snapshot(target)).toEqual(await snapshot(source));
      source.eval();
      target.eval();
      const x = tf.randomNormal([2, 9, 9, 3]);
      const [a, b] = [source.call(x), target.call(x)];
      expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
      tf.dispose([x, a, b]);
      source.dispose();
      target.dispose();
    });

    it('names every missing, unexpected, wrong-shape and wrong-dtype key and loads nothing', async () => {
      const model = smallNet();
      const before = await snapshot(model);
      const good = deterministicStateDict(model, 1);
      const dict: StateDict = new Map(good);
      dict.delete('features.0.bias');
      dict.delete('classifier.1.bias');
      dict.set('features.2.weight', { dtype: 'float32', shape: [1], data: new Float32Array(1) });
      dict.set('classifier.1.weight', { dtype: 'float32', shape: [128, 10], data: new Float32Array(1280) });
      dict.set('features.1.running_mean', { dtype: 'int32', shape: [8], data: new Int32Array(8) });
      dict.set('features.1.num_batches_tracked', { dtype: 'bool', shape: [], data: new Uint8Array([1]) });
      const error = loadError(model, dict);
      expect(error.missingKeys).toEqual(['features.0.bias', 'classifier.1.bias']);
      expect(error.unexpectedKeys).toEqual(['features.2.weight']);
      expect(error.mismatchedKeys.sort()).toEqual(['classifier.1.weight', 'features.1.num_batches_tracked', 'features.1.running_mean']);
      expect(error.message).toContain('nothing was loaded');
      expect(error.message).toContain("'classifier.1.weight': shape [128, 10] in the file, [10, 128] in the model");
      expect(error.message).toContain("'features.1.running_mean': dtype int32 cannot be loaded into a float32 buffer");
      expect(error.message).toContain("'features.1.num_batches_tracked': dtype bool cannot be loaded into an int64 buffer");
      expect(error.message).toContain("missing keys: 'features.0.bias', 'classifier.1.bias'");
      expect(error.message).toContain("unexpected keys: 'features.2.weight'");
      expect(await snapshot(model)).toEqual(before);
      model.dispose();
    });

    it('loads a dict without num_batches_tracked, as PyTorch does, keeping the counter it had', async () => {
      const model = smallNet();
      const before = await snapshot(model);
      const dict = deterministicStateDict(model, 4);
      dict.delete('features.1.num_batches_tracked');
      expect(model.loadStateDict(dict)).toEqual({ missingKeys: [], unexpectedKeys: [] });
      const after = await snapshot(model);
      expect(after.get('features.1.num_batches_tracked')).toEqual(before.get('features.1.num_batches_tracked'));
      expect(after.get('features.1.running_var')).toEqual(Array.from(dict.get('features.1.running_var')!.data as Float32Array));
      model.dispose();
    });

    it('with strict: false loads what it can and reports the rest', async () => {
      const model = smallNet();
      const before = await snapshot(model);
      const dict = deterministicStateDict(model, 2);
      dict.delete('classifier.1.bias');
      dict.set('head.weight', { dtype: 'float32', shape: [2], data: new Float32Array(2) });
      expect(model.loadStateDict(dict, { strict: false })).toEqual({ missingKeys: ['classifier.1.bias'], unexpectedKeys: ['head.weight'] });
      const after = await snapshot(model);
      expect(after.get('classifier.1.bias')).toEqual(before.get('classifier.1.bias'));
      expect(after.get('features.1.running_var')).toEqual(Array.from(dict.get('features.1.running_var')!.data as Float32Array));
      model.dispose();
    });

    it('with strict: false still refuses a shape that does not fit, as PyTorch does', async () => {
      const model = smallNet();
      const before = await snapshot(model);
      const dict = deterministicStateDict(model, 2);
      dict.set('features.0.bias', { dtype: 'float32', shape: [9], data: new Float32Array(9) });
      expect(loadError(model, dict, { strict: false }).mismatchedKeys).toEqual(['features.0.bias']);
      expect(await snapshot(model)).toEqual(before);
      model.dispose();
    });

    it('takes float64, float16 and bfloat16 weights, and any number for int64 counters', async () => {
      const model = new BatchNorm2d(2);
      const half = (bits: number[]): HostTensor => ({ dtype: 'float16', shape: [2], data: new Uint16Array(bits) });
      model.loadStateDict(new Map<string, HostTensor>([
        ['weight', half([0x3c00, 0xc000])],
        ['bias', { dtype: 'bfloat16', shape: [2], data: new Uint16Array([0x3f80, 0x4040]) }],
        ['running_mean', { dtype: 'float64', shape: [2], data: new Float64Array([0.25, -0.5]) }],
        ['running_var', { dtype: 'float32', shape: [2], data: new Float32Array([2, 3]) }],
        ['num_batches_tracked', { dtype: 'int32', shape: [], data: new Int32Array([7]) }],
      ]));
      const state = await snapshot(model);
      expect([...state.values()]).toEqual([[1, -2], [1, 3], [0.25, -0.5], [2, 3], [7]]);
      // float16 5.0 (raw bits 0x4500), not 0x4500 = 17664
      model.loadStateDict(new Map([['num_batches_tracked', { dtype: 'float16', shape: [], data: new Uint16Array([0x4500]) }]]), { strict: false });
      expect(await model.namedBuffers()[2]![1].data()).toEqual(new Int32Array([5]));
      model.dispose();
    });
  });

  describe('modes, counts, memory', () => {
    it('train() and eval() reach every descendant', () => {
      const model = smallNet();
      model.eval();
      expect(model.namedModules().every(([, m]) => !m.training)).toBe(true);
      model.train();
      expect(model.namedModules().every(([, m]) => m.training)).toBe(true);
      model.train(false);
      expect(model.namedModules().some(([, m]) => m.training)).toBe(false);
      model.dispose();
    });

    it('counts parameters as PyTorch does, buffers excluded', () => {
      const model = smallNet();
      // conv 8*3*3*3 + 8, batch norm 8 + 8, linear 128*10 + 10
      expect(model.countParams()).toBe(224 + 16 + 1290);
      model.namedParameters().find(([n]) => n === 'features.0.weight')![1].trainable = false;
      expect(model.countParams({ trainableOnly: true })).toBe(8 + 16 + 1290);
      expect(model.trainableVariables()).toHaveLength(5);
      model.dispose();
    });

    it('dispose frees every tensor it made', () => {
      const before = tf.memory().numTensors;
      const model = smallNet();
      expect(tf.memory().numTensors).toBe(before + 9);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });

    it('a forward pass in eval mode leaves nothing behind but its output', async () => {
      const model = smallNet().eval();
      const x = tf.randomNormal([2, 9, 9, 3]);
      const before = tf.memory().numTensors;
      const y = model.call(x);
      expect(y.shape).toEqual([2, 10]);
      expect(tf.memory().numTensors).toBe(before + 1);
      y.dispose();
      tf.dispose(x);
      model.dispose();
    });

    it('a forward pass in train mode keeps the running statistics and nothing else', async () => {
      const model = smallNet().train();
      const x = tf.randomNormal([2, 9, 9, 3]);
      const before = tf.memory().numTensors;
      const y = model.call(x);
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(await model.namedBuffers()[2]![1].data()).toEqual(new Int32Array([1]));
      tf.dispose([x, y]);
      model.dispose();
    });
  });

  describe('input errors name the layer', () => {
    const model = () => new Sequential({ features: new Sequential(new Conv2d(3, 4, 3), new ReLU()), flatten: new Flatten(), fc: new Linear(100, 2) });

    function callError(m: Module, x: tf.Tensor): LayerInputError {
      try {
        m.call(x).dispose();
      } catch (error) {
        expect(error).toBeInstanceOf(LayerInputError);
        return error as LayerInputError;
      } finally {
        x.dispose();
        m.dispose();
      }
      throw new Error('the call succeeded');
    }

    it('wrong channel count', () => {
      expect(callError(model(), tf.zeros([1, 12, 12, 4])).message).toBe(
        "layer 'features.0' (Conv2d): expected 3 channels on the last axis, got 4 (input shape [1, 12, 12, 4])",
      );
    });

    it('wrong rank', () => {
      expect(callError(model(), tf.zeros([12, 12, 3])).message).toBe(
        "layer 'features.0' (Conv2d): expected a rank-4 input [N, H, W, C], got shape [12, 12, 3]",
      );
    });

    it('wrong feature count further down', () => {
      expect(callError(model(), tf.zeros([1, 8, 8, 3])).message).toBe(
        "layer 'fc' (Linear): expected 100 features on the last axis, got 144 (input shape [1, 144])",
      );
    });

    it('an input smaller than the kernel; a root module is named (root)', () => {
      expect(callError(new Conv2d(3, 4, 5), tf.zeros([1, 4, 4, 3])).message).toBe(
        "layer '(root)' (Conv2d): input 4x4 is smaller than the 5x5 kernel (after padding and dilation)",
      );
    });

    it('a kernel the backend lacks: the error names layer, kernel and backend, and keeps tfjs’s as its cause', () => {
      const kernel = tf.getKernel('MaxPool', backend);
      tf.unregisterKernel('MaxPool', backend);
      try {
        const error = callError(smallNet().eval(), tf.zeros([1, 9, 9, 3]));
        expect(error.message).toBe(`layer 'features.3' (MaxPool2d): Kernel 'MaxPool' not registered for backend '${backend}'`);
        expect((error.cause as Error).message).toBe(`Kernel 'MaxPool' not registered for backend '${backend}'`);
      } finally {
        tf.registerKernel(kernel);
      }
    });
  });
});
