import { readFileSync } from 'node:fs';
import { readSafetensors } from '@convkit/core';
import { testBackends, useBackend } from '@convkit/test-utils';
import { describe, expect, it } from 'vitest';
import { loadDigits, splitDigits } from '../datasets/digits.js';
import { trainLenet5Digits } from './recipe.js';

const bundled = readSafetensors(readFileSync(new URL('../../../../assets/weights/lenet5-digits.safetensors', import.meta.url)));

// The bundled weights were made on wasm; other backends sum in other orders and drift in the last bits.
const backends = (await testBackends()).filter((b) => b === 'wasm');

describe.each(backends)('the lenet5 digits recipe (%s)', (backend) => {
  it('trains the bundled assets/weights/lenet5-digits.safetensors bit for bit, at its recorded test accuracy', async () => {
    await useBackend(backend);
    const { model, testAccuracy, testImages } = await trainLenet5Digits(splitDigits(await loadDigits()));
    const weights = await model.stateDict();
    expect([...weights.keys()]).toEqual([...bundled.tensors.keys()]);
    for (const [name, t] of weights) {
      const b = bundled.tensors.get(name)!.data;
      expect(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), name).toBe(true);
    }
    expect(testAccuracy.toFixed(4)).toBe(bundled.metadata.test_accuracy);
    testImages.dispose();
    model.dispose();
  }, 120_000);
});
