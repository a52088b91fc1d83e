import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The shared harness, over core's own sources: vitest.config.ts and tsconfig.test.json resolve its
// `@convkit/core` to src/index.ts (core cannot depend on @convkit/test-utils, which depends on core).
import {
  MISSING_GRADIENT_KERNELS, type ParityMeasurement, WRONG_GRADIENT_KERNELS, buildModule, checkForward, checkInputGradient,
  checkLoss, checkParameterGradients, loadLayerFixtures, parityFailures, summarizeParity,
} from '../../../test-utils/src/layer-parity/index.js';
import { testBackends, useTestBackend } from '../test-backends.js';

/**
 * Every layer against PyTorch 1.13 (fixtures from tools/fixtures/make_layer_fixtures.py), through the
 * layer-parity harness every backend runs (@convkit/test-utils/layer-parity): weights go in through
 * loadStateDict in PyTorch's layout, inputs are converted from NCHW, and the output, the gradients of
 * sum(output * probe) with respect to the input and every parameter, and (training mode) the running
 * statistics after the step are compared with references computed in float64, each to the harness's
 * LAYER_TOLERANCE (1e-5) of the reference's largest value (the run prints the largest error per quantity).
 */
const fixtures = await loadLayerFixtures(async (file) => new Uint8Array(await readFile(new URL(`./fixtures/${file}`, import.meta.url))));
const backends = await testBackends();
const seen: ParityMeasurement[] = [];

/** Fails with every measurement over the tolerance; skips the test when a known kernel gap of the backend stood in the way. */
function expectParity(measurements: ParityMeasurement[], skip: (note: string) => void): void {
  seen.push(...measurements);
  expect(parityFailures(measurements)).toEqual([]);
  const gap = measurements.find((m) => m.skipped !== undefined);
  if (gap) skip(gap.skipped!);
}

afterAll(() => {
  for (const backend of backends) {
    const { worst } = summarizeParity(seen.filter((m) => m.backend === backend));
    const lines = [...worst].map(([quantity, { relativeError, name }]) => `  ${`${backend} ${quantity}`.padEnd(22)} ${relativeError.toExponential(2)}  (${name})`);
    console.log(`largest relative error against PyTorch:\n${lines.join('\n')}`);
  }
});

describe.each(backends)('%s backend', (backend) => {
  beforeAll(() => useTestBackend(backend));

  describe.each(fixtures.cases)('$name', (c) => {
    it('state dict keys are PyTorch’s, in order', async () => {
      const model = buildModule(c.module);
      expect(model.namedParameters().map(([name]) => name)).toEqual(c.parameters);
      expect(model.namedParameters().length + model.namedBuffers().length).toBe(c.stateKeys.length);
      expect([...(await model.stateDict()).keys()]).toEqual(c.stateKeys);
      model.dispose();
    });

    it(`forward (${c.mode} mode) matches PyTorch`, async ({ skip }) => {
      expectParity(await checkForward(backend, fixtures, c), skip);
    });

    it('input gradient matches PyTorch', async ({ skip }) => {
      expectParity(await checkInputGradient(backend, fixtures, c), skip);
    });

    if (c.parameters.length === 0) return;
    it('parameter gradients match PyTorch', async ({ skip }) => {
      expectParity(await checkParameterGradients(backend, fixtures, c), skip);
    });
  });

  describe.each(fixtures.losses)('loss $name', (c) => {
    it('value and gradient match PyTorch', async ({ skip }) => {
      expectParity(await checkLoss(backend, fixtures, c), skip);
    });
  });

  it.each(MISSING_GRADIENT_KERNELS[backend] ?? [])('still has no %s kernel (else drop it from the list of gaps)', (kernel) => {
    expect(tf.getKernel(kernel, backend)).toBeUndefined();
  });

  it.each(WRONG_GRADIENT_KERNELS[backend] ?? [])('$kernel still has its bug (else drop it from the list): $bug', async (k) => {
    expect(await k.stillWrong()).toBe(true);
  });
});
