import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdaptiveAvgPool2d } from '../layers/adaptive-avg-pool2d.js';
import { AvgPool2d } from '../layers/avg-pool2d.js';
import { BatchNorm2d } from '../layers/batch-norm2d.js';
import { Conv2d } from '../layers/conv2d.js';
import { ConvTranspose2d } from '../layers/conv-transpose2d.js';
import { Dropout } from '../layers/dropout.js';
import { Flatten } from '../layers/flatten.js';
import { Linear } from '../layers/linear.js';
import { LocalResponseNorm } from '../layers/local-response-norm.js';
import { MaxPool2d } from '../layers/max-pool2d.js';
import { ReLU } from '../layers/relu.js';
import { Sequential } from '../layers/sequential.js';
import { metaSummary, summary } from '../summary.js';
import { testBackends, useTestBackend } from '../test-backends.js';
import { META_BACKEND, isMetaBackend, metaTensor, onMetaBackend, peakTensorBytes } from './backend.js';

/** Every core layer, with grouped, dilated, strided and transposed convolutions. */
const net = () => new Sequential({
  features: new Sequential(
    new Conv2d(3, 8, 3, { padding: 1 }), new BatchNorm2d(8), new ReLU(), new LocalResponseNorm(3),
    new Conv2d(8, 8, 3, { groups: 8, stride: 2, padding: 1 }), new Conv2d(8, 12, 3, { groups: 2, dilation: 2, padding: 'same' }),
    new MaxPool2d(3, { stride: 2, ceilMode: true }), new AvgPool2d(2, { stride: 1, padding: 1 }),
    new ConvTranspose2d(12, 6, 3, { stride: 2, padding: 1, outputPadding: 1 }), new AdaptiveAvgPool2d(5),
  ),
  flatten: new Flatten(),
  classifier: new Sequential(new Dropout(0.5), new Linear(150, 10)),
});

const backends = await testBackends();

describe.each(backends)('%s backend', (backend) => {
  beforeAll(() => useTestBackend(backend));

  it('gives the summary of the same model built with weights', async () => {
    const real = net();
    const expected = summary(real, [2, 19, 17, 3]);
    real.dispose();
    expect(await metaSummary(net, [2, 19, 17, 3])).toEqual(expected);
  });

  it('allocates no values, leaves no tensors and returns to the backend before', async () => {
    const before = tf.memory();
    const counted = await onMetaBackend(() => {
      const huge = new Linear(100_000, 100_000);
      const params = huge.countParams();
      const x = metaTensor([4, 100_000]);
      const y = huge.call(x);
      expect(y.shape).toEqual([4, 100_000]);
      tf.dispose([x, y]);
      huge.dispose();
      return params;
    });
    // 10^10 weights would be 40 GB.
    expect(counted).toBe(100_000 * 100_000 + 100_000);
    expect(tf.getBackend()).toBe(backend);
    expect(Object.keys(tf.engine().registryFactory)).not.toContain(META_BACKEND);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });

  it('refuses to read a value and to run value-dependent kernels', async () => {
    await onMetaBackend(() => {
      expect(isMetaBackend()).toBe(true);
      const x = metaTensor([3]);
      expect(() => x.dataSync()).toThrow(/shape but no values/);
      expect(() => tf.image.nonMaxSuppression(metaTensor([3, 4]) as tf.Tensor2D, x as tf.Tensor1D, 2)).toThrow(/not registered for backend 'meta'/);
      x.dispose();
    });
    expect(isMetaBackend()).toBe(false);
  });
});

describe('peakTensorBytes', () => {
  it('counts weights and the activations alive at once', async () => {
    // Weights 10*20 + 20 values, the input [3, 10] and the output [3, 20]; tf.variable copies each weight
    // once while it is made, so the peak stays under twice that.
    const bytes = await peakTensorBytes(() => {
      const fc = new Linear(10, 20);
      tf.tidy(() => fc.call(metaTensor([3, 10])));
      fc.dispose();
    });
    expect(bytes).toBeGreaterThanOrEqual(4 * (10 * 20 + 20 + 3 * 10 + 3 * 20));
    expect(bytes).toBeLessThanOrEqual(2 * 4 * (10 * 20 + 20 + 3 * 10 + 3 * 20));
  });
});
