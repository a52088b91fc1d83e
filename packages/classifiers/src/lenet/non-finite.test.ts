import * as tf from '@tensorflow/tfjs-core';
import { createModel, deterministicStateDict, setRefuseNonFiniteInputs } from '@convkit/core';
import { testBackends, useBackend } from '@convkit/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import '../index.js';

const backends = await testBackends();

/**
 * Why core refuses non-finite inputs by default (issue 15): what each backend makes of an all-NaN image
 * when the check is off. PyTorch gives NaN logits; so does cpu. tfjs-backend-wasm 4.22 (XNNPACK) and
 * onednn (oneDNN 2.6) give finite, confident-looking logits for lenet5: the failure the default refusal
 * exists to stop.
 */
describe.each(backends)('lenet5 on an all-NaN image (%s)', (backend) => {
  afterEach(() => setRefuseNonFiniteInputs(true));

  it('is refused by default, and unchecked gives what the backend gives', async () => {
    await useBackend(backend);
    const model = createModel('lenet5');
    model.loadStateDict(deterministicStateDict(model, 1));
    model.eval();
    const x = tf.fill([1, 32, 32, 1], Number.NaN);
    expect(() => model.call(x)).toThrow(/holding NaN or infinite values/);
    setRefuseNonFiniteInputs(false);
    const logits = Array.from(await (model.call(x) as tf.Tensor).data());
    if (backend === 'wasm' || backend === 'onednn') expect(logits.every(Number.isFinite), `${backend} logits ${logits}`).toBe(true);
    else if (backend === 'cpu') expect(logits.every(Number.isNaN), `cpu logits ${logits}`).toBe(true);
    console.info(`lenet5 on an all-NaN image (${backend}), unchecked: ${logits.slice(0, 3).map((v) => v.toPrecision(3)).join(', ')}, ...`);
    x.dispose();
    model.dispose();
  });
});
