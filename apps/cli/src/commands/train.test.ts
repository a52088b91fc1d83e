import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { createModel, readSafetensors, useBackend, writeSafetensors } from '@convkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliMain, convkit } from '../../test/run-cli.js';
import { CliError } from '../cli-error.js';
import { train } from './train.js';

const work = mkdtempSync(join(tmpdir(), 'convkit-train-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeAll(() => useBackend('wasm'));
const path = (...parts: string[]) => join(work, ...parts);


const lenet = (out: string, epochs: number, ...more: string[]) =>
  convkit('train', '--model', 'lenet5', '--data', 'digits', '--epochs', String(epochs), '--out', path(out), '--backend', 'wasm', ...more);
const checkpoint = (out: string, epoch: number) => path(out, 'checkpoints', `lenet5-digits-epoch${epoch}.safetensors`);

describe('convkit train', () => {
  it('writes a checkpoint per epoch with its state in the metadata, loss.json and loss.png', async () => {
    const r = await lenet('a', 1);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/before training: test accuracy \d+\.\d%/);
    expect(r.stdout).toMatch(/epoch 1\/1: loss \d\.\d{4}, test accuracy \d+\.\d% \(\d+\.\d s\)/);
    const { tensors, metadata } = readSafetensors(readFileSync(checkpoint('a', 1)));
    expect(metadata).toMatchObject({ format: 'convkit-checkpoint/1', model: 'lenet5', data: 'digits', epoch: '1', batch_size: '32', seed: '0', metric: 'test accuracy' });
    expect(JSON.parse(metadata.classes!)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    // The file is a plain state dict in PyTorch's names: it loads into lenet5 and writes back the same bytes.
    const model = createModel('lenet5');
    model.loadStateDict(tensors);
    expect(Buffer.from(writeSafetensors(await model.stateDict()))).toEqual(Buffer.from(writeSafetensors(tensors)));
    model.dispose();
    const curve = JSON.parse(readFileSync(path('a', 'loss.json'), 'utf8'));
    expect(curve.epochs.map((e: { epoch: number }) => e.epoch)).toEqual([0, 1]);
    expect(curve.epochs[1].metric).toBeGreaterThan(curve.epochs[0].metric + 0.5);
    const png = PNG.sync.read(readFileSync(path('a', 'loss.png')));
    expect([png.width, png.height]).toEqual([720, 420]);
  }, 60_000);

  it('resumes at the next epoch and repeats the uninterrupted run exactly', async () => {
    const resumed = await lenet('a', 2, '--resume', checkpoint('a', 1));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('epochs 2 to 2');
    expect(resumed.stdout).not.toContain('before training');
    expect(resumed.stdout).toMatch(/epoch 2\/2: loss/);
    await train({ model: 'lenet5', data: 'digits', epochs: '2', out: path('b'), backend: 'wasm' });
    const a = readSafetensors(readFileSync(checkpoint('a', 2)));
    const b = readSafetensors(readFileSync(checkpoint('b', 2)));
    expect(a.metadata.epoch).toBe('2');
    expect(JSON.parse(a.metadata.history!).map((h: { epoch: number }) => h.epoch)).toEqual([0, 1, 2]);
    for (const [name, tensor] of b.tensors) expect(Buffer.from(a.tensors.get(name)!.data.buffer), name).toEqual(Buffer.from(tensor.data.buffer));
    // Adam went on where it stopped: its moments and step count match the uninterrupted run's too.
    const adam = (out: string) => readFileSync(checkpoint(out, 2).replace(/\.safetensors$/, '.adam.safetensors'));
    expect(readSafetensors(adam('a')).tensors.get('adam.step')!.data).toEqual(Int32Array.of(88));
    expect(adam('a').equals(adam('b'))).toBe(true);
  }, 90_000);

  it('goes on with a fresh Adam, and says so, when the optimizer state is missing; refuses a broken one', async () => {
    const dir = path('c', 'checkpoints');
    mkdirSync(dir, { recursive: true });
    copyFileSync(checkpoint('a', 1), join(dir, 'lenet5-digits-epoch1.safetensors'));
    const fresh = await lenet('c', 2, '--resume', join(dir, 'lenet5-digits-epoch1.safetensors'));
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stdout).toMatch(/note: no optimizer state beside the checkpoint \(.*lenet5-digits-epoch1\.adam\.safetensors\); Adam starts afresh/);
    const bound = { checkpoint_sha256: createHash('sha256').update(readFileSync(join(dir, 'lenet5-digits-epoch1.safetensors'))).digest('hex') };
    writeFileSync(join(dir, 'lenet5-digits-epoch1.adam.safetensors'), writeSafetensors(new Map([['adam.step', { dtype: 'int32', shape: [], data: Int32Array.of(3) }]]), bound));
    const broken = await lenet('c', 2, '--resume', join(dir, 'lenet5-digits-epoch1.safetensors'));
    expect(broken.code).toBe(3);
    expect(broken.stderr.trim().split('\n')).toHaveLength(1);
    expect(broken.stderr).toMatch(/lenet5-digits-epoch1\.adam\.safetensors: optimizer state does not fit this model \(nothing was loaded\): 'adam\.acc_beta1' is missing/);
  }, 90_000);

  it('rejects bad inputs with one line: exit 3 for models, data and files, exit 2 for the command line', async () => {
    const cut = readFileSync(checkpoint('a', 1));
    writeFileSync(path('cut.safetensors'), cut.subarray(0, cut.length - 64));
    const fcn = createModel('fcn_tiny');
    writeFileSync(path('fcn.safetensors'), writeSafetensors(await fcn.stateDict()));
    fcn.dispose();
    const base = { model: 'lenet5', data: 'digits', epochs: '3', out: path('never'), backend: 'wasm' };
    for (const [options, exitCode, message] of [
      [{ model: 'resnet50' }, 3, /resnet50 takes 224x224 images; digits trains the small classifiers .*\(digits trains: lenet5, cifar_resnet20/],
      [{ data: 'shapes-segmentation' }, 3, /shapes-segmentation is a segmentation data set; lenet5 is a classification model \(shapes-segmentation trains: fcn_tiny\)/],
      [{ model: 'fcn8s_vgg16', data: 'shapes-segmentation' }, 3, /shapes-segmentation trains fcn_tiny; fcn8s_vgg16 is too large/],
      [{ model: 'lenet6' }, 3, /unknown model 'lenet6'/],
      [{ resume: path('cut.safetensors') }, 3, /cannot read checkpoint '.*cut\.safetensors': safetensors file ends after/],
      [{ resume: path('fcn.safetensors') }, 3, /checkpoint '.*fcn\.safetensors' do not fit lenet5 built for digits: tensors \d+ missing \('features\.0\.weight' and \d+ more\); \d+ not in lenet5/],
      [{ resume: path('missing.safetensors') }, 3, /cannot read checkpoint '.*missing\.safetensors': no such file/],
      [{ epochs: '0' }, 2, /--epochs takes an integer of at least 1, got '0'/],
      [{ lr: 'fast' }, 2, /--lr takes a positive number, got 'fast'/],
      [{ resume: checkpoint('a', 1), epochs: '1' }, 2, /is at epoch 1 already; pass --epochs above 1/],
    ] as const) {
      const error = await train({ ...base, ...options }).then(() => null, (e: unknown) => e);
      expect(error, JSON.stringify(options)).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(exitCode);
      expect((error as CliError).message).toMatch(message);
      expect((error as CliError).message).not.toContain('\n');
    }
    expect(existsSync(path('never'))).toBe(false);
    // The same errors through the command line: main turns them into one line on stderr and the exit code.
    const wrongData = await convkit('train', '--model', 'lenet5', '--data', 'shapes-detection', '--epochs', '1');
    expect(wrongData.code).toBe(3);
    expect(wrongData.stderr).toBe('convkit: shapes-detection is a detection data set; lenet5 is a classification model (shapes-detection trains: fasterrcnn_small, fastrcnn_small, yolo_tiny)\n');
    const unknownData = await convkit('train', '--model', 'lenet5', '--data', 'mnist', '--epochs', '1');
    expect(unknownData.code).toBe(3);
    expect(unknownData.stderr).toBe("convkit: --data 'mnist' is neither a bundled data set (digits, shapes-segmentation, shapes-detection) nor a file or folder\n");
  }, 60_000);
  it('refuses a batch larger than the training set before writing anything', async () => {
    const r = await lenet('big', 1, '--batch-size', '2000');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('convkit: --batch-size 2000, but digits has 1438 training images; pass --batch-size 1438 or less\n');
    expect(existsSync(path('big'))).toBe(false);
  });

  it('refuses a checkpoint whose settings are out of range, in one line', async () => {
    const { tensors, metadata } = readSafetensors(readFileSync(checkpoint('a', 1)));
    for (const [key, value, message] of [
      ['batch_size', '0', "'batch_size' is '0', not a positive integer"],
      ['batch_size', '-4', "'batch_size' is '-4', not a positive integer"],
      ['batch_size', '1.5', "'batch_size' is '1.5', not a positive integer"],
      ['learning_rate', '-0.002', "'learning_rate' is '-0.002', not a positive number"],
      ['learning_rate', 'Infinity', "'learning_rate' is 'Infinity', not a positive number"],
      ['epoch', '1.5', "'epoch' is '1.5', not a positive integer"],
      ['epoch', '-2', "'epoch' is '-2', not a positive integer"],
      ['seed', '-1', "'seed' is '-1', not a non-negative integer"],
      ['history', '{}', "'history' is not a list of epochs"],
      ['history', '[{"epoch":1}]', "'history' entry 0 is not an epoch record"],
      ['classes', '"0123"', "'classes' is not a list of names"],
    ] as const) {
      const file = path(`meta-${key}-${value}.safetensors`);
      writeFileSync(file, writeSafetensors(tensors, { ...metadata, [key]: value }));
      const r = await lenet('never', 3, '--resume', file);
      expect(r.code, `${key}=${value}: ${r.stderr}`).toBe(3);
      expect(r.stderr).toBe(`convkit: checkpoint '${file}' has broken metadata: ${message}${message.endsWith('record') ? ' ({epoch, loss, metric})' : ''}\n`);
    }
    expect(existsSync(path('never'))).toBe(false);
  }, 60_000);

  it('refuses optimizer state written with another checkpoint', async () => {
    const dir = path('mixed', 'checkpoints');
    mkdirSync(dir, { recursive: true });
    copyFileSync(checkpoint('a', 1), join(dir, 'lenet5-digits-epoch1.safetensors'));
    copyFileSync(checkpoint('a', 2).replace(/\.safetensors$/, '.adam.safetensors'), join(dir, 'lenet5-digits-epoch1.adam.safetensors'));
    const r = await lenet('mixed', 2, '--resume', join(dir, 'lenet5-digits-epoch1.safetensors'));
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/optimizer state '.*epoch1\.adam\.safetensors' was written with another checkpoint, not '.*epoch1\.safetensors' .*remove it to start Adam afresh/);
  });

  it('lets one run at a time into a folder: a second gets the folder and the pid', async () => {
    mkdirSync(path('locked'), { recursive: true });
    writeFileSync(path('locked', '.convkit.lock'), `${process.pid}\n`);
    const r = await lenet('locked', 1);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`convkit: --out '${path('locked')}' is in use by another convkit run (pid ${process.pid}); wait for it to finish or choose another folder\n`);
    expect(readdirSync(path('locked'))).toEqual(['.convkit.lock']);
    // A lock whose process is gone (killed with SIGKILL, say) is taken over, and released at the end.
    const gone = spawnSync('node', ['-e', '0']).pid!;
    writeFileSync(path('locked', '.convkit.lock'), `${gone}\n`);
    const taken = await lenet('locked', 1);
    expect(taken.code, taken.stderr).toBe(0);
    expect(existsSync(path('locked', '.convkit.lock'))).toBe(false);
  }, 60_000);

  it('killed mid-epoch leaves no temporary files, no lock, and every checkpoint beside its own optimizer state', async () => {
    const out = path('killed');
    const child = spawn('node', [cliMain, 'train', '--model', 'lenet5', '--data', 'digits', '--epochs', '20', '--batch-size', '8', '--out', out, '--backend', 'wasm'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    await new Promise<void>((done) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        if (/epoch 1\/20: loss/.test(stdout)) done();
      });
    });
    // Well into epoch 2: its steps are running, maybe its checkpoint is being written.
    await new Promise((done) => setTimeout(done, 300));
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(stderr).toContain('convkit: stopped by SIGTERM');
    const files = readdirSync(out, { recursive: true }).map(String);
    expect(files.filter((f) => f.endsWith('.tmp') || f.endsWith('.lock')), stderr).toEqual([]);
    const checkpoints = files.filter((f) => /epoch\d+\.safetensors$/.test(f));
    expect(checkpoints.length).toBeGreaterThanOrEqual(1);
    for (const file of checkpoints) {
      const bytes = readFileSync(join(out, file));
      const adam = readSafetensors(readFileSync(join(out, file.replace(/\.safetensors$/, '.adam.safetensors'))));
      expect(adam.metadata.checkpoint_sha256, file).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  }, 90_000);
});
