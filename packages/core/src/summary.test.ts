import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchNorm2d } from './layers/batch-norm2d.js';
import { Conv2d } from './layers/conv2d.js';
import { ConvTranspose2d } from './layers/conv-transpose2d.js';
import { Dropout } from './layers/dropout.js';
import { Flatten } from './layers/flatten.js';
import { Linear } from './layers/linear.js';
import { MaxPool2d } from './layers/max-pool2d.js';
import { ReLU } from './layers/relu.js';
import { Sequential } from './layers/sequential.js';
import { Module } from './module.js';
import { formatSummary, summary } from './summary.js';
import { testBackends, useTestBackend } from './test-backends.js';

const net = () => new Sequential({
  features: new Sequential(new Conv2d(3, 8, 3, { padding: 1 }), new BatchNorm2d(8), new ReLU(), new MaxPool2d(2)),
  flatten: new Flatten(),
  classifier: new Sequential(new Dropout(0.5), new Linear(128, 10)),
});

/** Applies one Linear twice: a shared layer. */
class Twice extends Module {
  readonly fc = this.registerModule('fc', new Linear(4, 4));
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.fc.call(this.fc.call(x)));
  }
}

const backends = await testBackends();

describe.each(backends)('%s backend', (backend) => {
  beforeAll(() => useTestBackend(backend));

  it('reports each layer’s output shape, parameters and multiply-adds', () => {
    const model = net();
    const s = summary(model, [1, 9, 9, 3]);
    expect(s.layers.map((l) => [l.name, l.type, l.outputShape, l.params, l.macs])).toEqual([
      // out 9x9x8, each output value a 3x3x3 dot product: 9*9*8 * 3*3*3 = 17496 MACs; params 8*3*3*3 + 8 = 224
      ['features.0', 'Conv2d', [1, 9, 9, 8], 224, 17496],
      ['features.1', 'BatchNorm2d', [1, 9, 9, 8], 16, 0],
      ['features.2', 'ReLU', [1, 9, 9, 8], 0, 0],
      // floor(9 / 2) = 4
      ['features.3', 'MaxPool2d', [1, 4, 4, 8], 0, 0],
      ['flatten', 'Flatten', [1, 128], 0, 0],
      ['classifier.0', 'Dropout', [1, 128], 0, 0],
      // 4*4*8 = 128 inputs to 10 outputs: 1280 MACs, 1280 + 10 params
      ['classifier.1', 'Linear', [1, 10], 1290, 1280],
    ]);
    expect(s).toMatchObject({ model: 'Sequential', inputShape: [1, 9, 9, 3], totalParams: 1530, trainableParams: 1530, macs: 17496 + 1280 });
    expect(summary(model, [2, 9, 9, 3]).macs).toBe(2 * (17496 + 1280));
    model.dispose();
  });

  it('counts grouped and transposed convolutions and Linear over extra axes', () => {
    // groups 2: each of 5*5*6 outputs sees 4/2 channels * 3*3 taps = 2700
    const grouped = new Conv2d(4, 6, 3, { padding: 1, groups: 2 });
    expect(summary(grouped, [1, 5, 5, 4]).macs).toBe(5 * 5 * 6 * 2 * 9);
    // every one of 5*5*4 inputs is spread over 2 outputs * 3*3 taps = 1800
    const transposed = new ConvTranspose2d(4, 2, 3, { stride: 2 });
    expect(summary(transposed, [1, 5, 5, 4]).layers[0]).toMatchObject({ outputShape: [1, 11, 11, 2], macs: 5 * 5 * 4 * 2 * 9 });
    // [2, 4, 5] is 8 rows of 5 features: 8 * 5 * 3 = 120
    const linear = new Linear(5, 3);
    expect(summary(linear, [2, 4, 5]).macs).toBe(120);
    [grouped, transposed, linear].forEach((m) => m.dispose());
  });

  it('counts a shared layer’s parameters once and its multiply-adds at every call', () => {
    const model = new Twice();
    const s = summary(model, [1, 4]);
    expect(s.layers.map((l) => [l.name, l.params, l.macs])).toEqual([['fc', 20, 16], ['fc', 0, 16]]);
    expect(s.totalParams).toBe(20);
    model.dispose();
  });

  it('runs in eval mode, restores each module’s own mode and leaves no tensors', async () => {
    const model = net();
    const bn = model.namedModules().find(([n]) => n === 'features.1')![1];
    bn.eval();
    const before = tf.memory().numTensors;
    summary(model, [1, 9, 9, 3]);
    expect(tf.memory().numTensors).toBe(before);
    expect(model.namedModules().filter(([, m]) => !m.training).map(([n]) => n)).toEqual(['features.1']);
    expect(await model.namedBuffers()[2]![1].data()).toEqual(new Int32Array([0]));
    model.dispose();
  });

  it('formats a table with every row and the totals', () => {
    const model = net();
    const text = formatSummary(summary(model, [1, 9, 9, 3]));
    const lines = text.split('\n');
    expect(lines[0]).toBe('Sequential, input [1, 9, 9, 3]');
    expect(lines.find((l) => l.startsWith('features.0 '))).toMatch(/^features\.0\s+Conv2d\s+\[1, 9, 9, 8\]\s+224\s+17,496$/);
    expect(lines.find((l) => l.startsWith('classifier.1 '))).toMatch(/^classifier\.1\s+Linear\s+\[1, 10\]\s+1,290\s+1,280$/);
    expect(lines.filter((l) => /^(features|flatten|classifier)/.test(l))).toHaveLength(7);
    expect(text).toContain('Total params:      1,530');
    expect(text).toContain('Trainable params:  1,530');
    expect(text).toContain('Multiply-adds:     18,776 (0.000 G)');
    model.dispose();
  });
});
