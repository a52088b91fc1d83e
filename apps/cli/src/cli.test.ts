import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, deterministicStateDict, readNpy, useBackend, writeNpy, writeSafetensors } from '@convkit/core';
import '@convkit/backend-wasm';
import '@convkit/classifiers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convkit } from '../test/run-cli.js';

const work = mkdtempSync(join(tmpdir(), 'convkit-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeAll(async () => {
  await useBackend('wasm');
});


const path = (name: string) => join(work, name);

describe('convkit models / summary', () => {
  it('lists models as JSON with task, params and input size', async () => {
    const r = await convkit('models', '--json');
    expect(r.code).toBe(0);
    const models = JSON.parse(r.stdout) as { name: string; task: string; params: number; inputShape: number[] }[];
    expect(models.find((m) => m.name === 'lenet5')).toMatchObject({ task: 'classification', params: 61706, inputShape: [32, 32, 1] });
    expect(new Set(models.map((m) => m.task))).toEqual(new Set(['classification', 'segmentation', 'detection']));
  }, 60_000);

  it('prints the per-layer table and the JSON totals of a model built from core layers', async () => {
    const table = await convkit('summary', 'lenet5', '--backend', 'cpu');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/features\.0\s+Conv2d\s+\[1, 28, 28, 6\]\s+156\s+117,600/);
    expect(table.stdout).toMatch(/Total params:\s+61,706/);
    const json = JSON.parse((await convkit('summary', 'lenet5', '--json')).stdout);
    expect(json).toMatchObject({ totalParams: 61706, trainableParams: 61706, macs: 416520 });
    expect(json.layers[0]).toEqual({ name: 'features.0', type: 'Conv2d', outputShape: [1, 28, 28, 6], params: 156, macs: 117600 });
  });
});

describe('convkit backends', () => {
  it('lists every backend convkit has, with why each that cannot run here cannot', async () => {
    const r = await convkit('backends', '--json');
    expect(r.code).toBe(0);
    const backends = JSON.parse(r.stdout) as { name: string; available: boolean; reason?: string; inCli: boolean }[];
    expect(backends.map((b) => b.name).sort()).toEqual(['cpu', 'cuda', 'onednn', 'tensorflow', 'wasm', 'webgl']);
    for (const b of backends) if (!b.available) expect(b.reason, b.name).toMatch(/\w{3}/);
    expect(backends.find((b) => b.name === 'webgl')).toMatchObject({ available: false, inCli: false, reason: expect.stringContaining('browsers only') });
    expect(backends.find((b) => b.name === 'cpu')).toMatchObject({ available: true, inCli: true });
  });
});

describe('convkit run', () => {
  it('gives the same output as the library for the same weights, in both layouts, fused or not', async () => {
    const model = createModel('lenet5');
    const weights = deterministicStateDict(model, 3);
    model.loadStateDict(weights);
    model.eval();
    writeFileSync(path('w.safetensors'), writeSafetensors(weights));
    const x = tf.randomNormal([2, 32, 32, 1], 0, 1, 'float32', 7);
    writeFileSync(path('x.npy'), writeNpy({ dtype: 'float32', shape: [2, 32, 32, 1], data: x.dataSync() as Float32Array }));
    writeFileSync(path('x_nchw.npy'), writeNpy({ dtype: 'float32', shape: [2, 1, 32, 32], data: x.dataSync() as Float32Array }));
    const expected = (model.call(x) as tf.Tensor).dataSync();

    for (const [input, layout, ...fuse] of [['x.npy', 'nhwc'], ['x_nchw.npy', 'nchw'], ['x.npy', 'nhwc', '--no-fuse']] as const) {
      // The backend this test computed `expected` on: bit-equality holds only within one backend.
      const r = await convkit('run', 'lenet5', '--weights', path('w.safetensors'), '--input', path(input), '--output', path(`y_${layout}.npy`), '--layout', layout, '--backend', tf.getBackend(), ...fuse);
      expect(r.stderr).toContain('wrote');
      expect(r.code).toBe(0);
      const y = readNpy(readFileSync(path(`y_${layout}.npy`)));
      expect(y.shape).toEqual([2, 10]);
      expect(Array.from(y.data as Float32Array)).toEqual(Array.from(expected));
    }
    model.dispose();
  });

  it('rejects a truncated weights file with one line, exit 3 and no output file', async () => {
    const bytes = readFileSync(path('w.safetensors'));
    writeFileSync(path('cut.safetensors'), bytes.subarray(0, bytes.length - 100));
    const r = await convkit('run', 'lenet5', '--weights', path('cut.safetensors'), '--input', path('x.npy'), '--output', path('never.npy'));
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot read '.*cut\.safetensors': safetensors file ends after/);
    expect(existsSync(path('never.npy'))).toBe(false);
  });

  it('names the input shape it wanted', async () => {
    const r = await convkit('run', 'lenet5', '--input', path('x_nchw.npy'), '--output', path('never.npy'), '--layout', 'nhwc');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('has shape [2, 1, 32, 32]; lenet5 takes [N, H, W, 1] with --layout nhwc');
  });

  it('names every key of weights that belong to another model', async () => {
    const other = createModel('lenet5', { numClasses: 4 });
    writeFileSync(path('w4.safetensors'), writeSafetensors(await other.stateDict()));
    other.dispose();
    const r = await convkit('run', 'lenet5', '--weights', path('w4.safetensors'), '--input', path('x.npy'), '--output', path('never.npy'));
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("'classifier.3.weight': shape [4, 84] in the file, [10, 84] in the model");
    expect(r.stderr).toContain("'classifier.3.bias'");
  });

  it('exits 2 on a bad command line and 3 on an unknown model or backend', async () => {
    expect((await convkit('run', 'lenet5')).code).toBe(2);
    expect((await convkit('frobnicate')).code).toBe(2);
    const unknown = await convkit('summary', 'resnet9000');
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/unknown model 'resnet9000'; registered: .*lenet5/);
    const backend = await convkit('summary', 'lenet5', '--backend', 'webgl');
    expect(backend.code).toBe(3);
    expect(backend.stderr).toContain("backend 'webgl' cannot run from the CLI: browsers only");
  });
});
