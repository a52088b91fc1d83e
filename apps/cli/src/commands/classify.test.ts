import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { readSafetensors, writeSafetensors } from '@convkit/core';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { convkit } from '../../test/run-cli.js';
import { CliError } from '../cli-error.js';
import { classify } from './classify.js';

const here = dirname(fileURLToPath(import.meta.url));
const assets = resolve(here, '../../../../assets');
const digit = (d: number) => join(assets, 'images', `digit-${d}.png`);
const lenetWeights = join(assets, 'weights', 'lenet5-digits.safetensors');


describe('convkit classify', () => {
  it('reads every bundled digit PNG as its digit with the bundled lenet5 weights', async () => {
    const digits = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const r = await convkit('classify', ...digits.map(digit), '--model', 'lenet5', '--weights', lenetWeights, '--top', '3', '--json', '--backend', 'wasm');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { results } = JSON.parse(r.stdout) as { results: { image: string; top: { index: number; label: string; probability: number }[] }[] };
    expect(results.map((x) => x.top[0]!.label)).toEqual(digits.map(String));
    for (const x of results) {
      expect(x.top).toHaveLength(3);
      expect(x.top[0]!.probability).toBeGreaterThan(x.top[1]!.probability);
    }
  });

  it('says so when the weights are random, and labels ImageNet classes for 1000-way models', async () => {
    const r = await convkit('classify', digit(3), '--model', 'lenet5', '--top', '1');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/no --weights given: lenet5 has random initial weights/);
    expect(r.stdout).toMatch(/digit-3\.png\n\s+1\.\s+\d+\.\d%\s+\d\n/);
    const imagenet = await convkit('classify', join(assets, 'images', 'chelsea.jpg'), '--model', 'resnet18', '--top', '2', '--json');
    expect(imagenet.code).toBe(0);
    const labels = (JSON.parse(imagenet.stdout).results[0].top as { index: number; label: string }[]);
    expect(labels).toHaveLength(2);
    for (const l of labels) expect(l.label).not.toMatch(/^class /);
  }, 60_000);

  it('rejects what it cannot classify with one line and exit 3', async () => {
    const defaults = { model: 'lenet5', top: '5', backend: 'wasm' };
    for (const [options, message] of [
      [{ model: 'fcn_tiny' }, /fcn_tiny is a segmentation model; classify takes a classifier/],
      [{ model: 'lenet9' }, /unknown model 'lenet9'/],
      [{ weights: join(assets, 'weights', 'fcn_tiny-shapes.safetensors') }, /do not fit lenet5: tensors 10 missing \('features\.0\.weight' and 9 more\); 21 not in lenet5/],
      [{ weights: join(assets, 'README.md') }, /cannot read weights '.*README\.md'/],
    ] as const) {
      const error = await classify([digit(1)], { ...defaults, ...options }).then(() => null, (e: unknown) => e);
      expect(error, JSON.stringify(options)).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(3);
      expect((error as CliError).message).toMatch(message);
      expect((error as CliError).message).not.toContain('\n');
    }
    const notAnImage = await convkit('classify', join(assets, 'README.md'), '--model', 'lenet5');
    expect(notAnImage.code).toBe(3);
    expect(notAnImage.stderr).toMatch(/^convkit: '.*README\.md' is not a PNG or JPEG image \(it starts with 23 20/);
    expect(notAnImage.stderr.trim().split('\n')).toHaveLength(1);
    expect((await convkit('classify', digit(1), '--model', 'lenet5', '--top', '0')).code).toBe(2);
  }, 60_000);
  it('prints labels from a weights file with their control characters escaped', async () => {
    const { tensors, metadata } = readSafetensors(readFileSync(lenetWeights));
    const classes = ['\u001b[2J\u001b[31mzero', 'one\rten', ...'23456789'];
    const weights = join(mkdtempSync(join(tmpdir(), 'convkit-classify-')), 'labels.safetensors');
    writeFileSync(weights, writeSafetensors(tensors, { ...metadata, classes: JSON.stringify(classes) }));
    const r = await convkit('classify', ...[0, 1].map(digit), '--model', 'lenet5', '--weights', weights, '--top', '1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(r.stdout).toContain('\\u001b[2J\\u001b[31mzero');
    expect(r.stdout).toContain('one\\u000dten');
    rmSync(dirname(weights), { recursive: true });
  }, 60_000);
});
