import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fuseForInference } from './fuse.js';
import { Conv2d } from './layers/conv2d.js';
import { ReLU } from './layers/relu.js';
import { Sequential } from './layers/sequential.js';
import { setRefuseNonFiniteInputs } from './module.js';
import { testBackends, useTestBackend } from './test-backends.js';

const backends = await testBackends();
const image = (value: number) => tf.tidy(() => tf.concat([tf.fill([1, 4, 4, 1], value), tf.ones([1, 4, 4, 1])], 2));

describe.each(backends)('%s backend', (backend) => {
  beforeAll(() => useTestBackend(backend));
  afterEach(() => setRefuseNonFiniteInputs(true));

  it('refuses NaN and infinite inputs at the outermost call in eval mode, naming the model and shape', () => {
    const model = new Sequential(new Conv2d(1, 2, 3), new ReLU()).eval();
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const x = image(value);
      expect(() => model.call(x)).toThrow(/^Sequential was given an input \[1, 4, 8, 1\] holding NaN or infinite values; .*setRefuseNonFiniteInputs\(false\)/);
      x.dispose();
    }
    const finite = image(2);
    tf.dispose(model.call(finite));
    finite.dispose();
    model.dispose();
  });

  it('leaves training mode alone, and the check can be turned off', () => {
    const model = new Sequential(new Conv2d(1, 2, 3), new ReLU());
    const x = tf.fill([1, 4, 4, 1], Number.NaN);
    tf.dispose(model.call(x));
    model.eval();
    setRefuseNonFiniteInputs(false);
    fuseForInference(model, [1, 4, 4, 1]);
    const y = model.call(x);
    // Unchecked, cpu propagates NaN to every output, as PyTorch does. wasm does here too, but not through
    // every model: lenet5 gives finite logits for an all-NaN image there (issue 15; docs/cli.md).
    const values = Array.from(y.dataSync());
    if (backend === 'cpu') expect(values.every(Number.isNaN)).toBe(true);
    tf.dispose([x, y]);
    model.dispose();
  });
});
