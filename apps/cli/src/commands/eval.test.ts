import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors } from '@convkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDigitFiles } from '../../test/digit-files.js';
import { convkit } from '../../test/run-cli.js';

const work = mkdtempSync(join(tmpdir(), 'convkit-files-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let files: Awaited<ReturnType<typeof writeDigitFiles>>;
beforeAll(async () => {
  files = await writeDigitFiles(work);
});

/** The last epoch's held-out metric that `convkit train` recorded in its checkpoint. */
const lastMetric = (checkpoint: string) => {
  const history = JSON.parse(readSafetensors(readFileSync(checkpoint)).metadata.history!) as { metric: number }[];
  return history.at(-1)!.metric;
};

/**
 * The bundled digits written out as a user's files (8x8 grey PNGs in class folders, MNIST-format IDX with
 * the training images gzipped): `convkit train` recognises each format from the path, reads its held-out
 * split, and trains lenet5 (grey, 32x32 after the registry's Resize) to a stated accuracy in 3 epochs.
 */
describe('convkit train and eval on files', () => {
  it('trains lenet5 from IDX files to >= 90% on their t10k split (measured: 95.5%), and eval reports the same', async () => {
    const out = join(work, 'run-idx');
    const r = await convkit('train', '--model', 'lenet5', '--data', files.idx, '--epochs', '3', '--out', out, '--backend', 'wasm');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/IDX files, 1438 images in 10 classes, 359 held out/);
    const checkpoint = join(out, 'checkpoints', 'lenet5-idx-epoch3.safetensors');
    expect(lastMetric(checkpoint)).toBeGreaterThanOrEqual(0.9);
    const evaluated = await convkit('eval', '--model', 'lenet5', '--weights', checkpoint, '--data', files.idx, '--json', '--backend', 'wasm');
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const result = JSON.parse(evaluated.stdout) as Record<string, unknown>;
    expect(Object.keys(result).sort()).toEqual(['count', 'data', 'model', 'split', 'task', 'top1', 'top5', 'weights']);
    expect(result).toMatchObject({ task: 'classification', model: 'lenet5', split: 'test', count: 359 });
    expect(result.top1).toBeCloseTo(lastMetric(checkpoint), 10);
    expect(result.top5 as number).toBeGreaterThanOrEqual(result.top1 as number);
    expect(result.top5 as number).toBeLessThanOrEqual(1);
    const train = JSON.parse((await convkit('eval', '--model', 'lenet5', '--weights', checkpoint, '--data', files.idx, '--split', 'train', '--json', '--backend', 'wasm')).stdout);
    expect(train.count).toBe(1438);
  }, 120_000);

  it('trains lenet5 from an image folder with train/ and val/ to >= 90% on val/ (measured: 94.2%)', async () => {
    const out = join(work, 'run-folder');
    const r = await convkit('train', '--model', 'lenet5', '--data', files.folder, '--epochs', '3', '--out', out, '--backend', 'wasm');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/an image folder, 1438 images in 10 classes, 359 held out/);
    const checkpoint = join(out, 'checkpoints', 'lenet5-folder-epoch3.safetensors');
    expect(lastMetric(checkpoint)).toBeGreaterThanOrEqual(0.9);
    expect(existsSync(join(out, 'loss.png'))).toBe(true);
    const evaluated = JSON.parse((await convkit('eval', '--model', 'lenet5', '--weights', checkpoint, '--data', files.folder, '--json', '--backend', 'wasm')).stdout);
    expect(evaluated).toMatchObject({ split: 'val', count: 359 });
    expect(evaluated.top1).toBeCloseTo(lastMetric(checkpoint), 10);
  }, 120_000);
});
