import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const typescript = join(root, 'tests/install/node_modules/typescript/bin/tsc');
const scratch = mkdtempSync(join(tmpdir(), 'convkit-install-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** A user's project: only core, classifiers and the wasm backend, from the packed tarballs. */
describe('installing only what you need', () => {
  it('packs, installs offline from the store, and runs and trains a model from plain Node', () => {
    const packed = join(scratch, 'tarballs');
    for (const pkg of ['core', 'classifiers', 'backend-wasm']) {
      run('pnpm', ['pack', '--pack-destination', packed], join(root, 'packages', pkg));
    }
    const tarball = (name: string) => `file:${join(packed, readdirSync(packed).find((f) => f.startsWith(`convkit-${name}-`))!)}`;
    const app = join(scratch, 'app');
    run('mkdir', ['-p', app], scratch);
    writeFileSync(join(app, 'package.json'), JSON.stringify({
      name: 'user-app', private: true, type: 'module',
      dependencies: {
        '@convkit/core': tarball('core'),
        '@convkit/classifiers': tarball('classifiers'),
        '@convkit/backend-wasm': tarball('backend-wasm'),
        '@tensorflow/tfjs-core': '4.22.0',
      },
    }, null, 2));
    // The classifiers tarball asks for @convkit/core by version; point that at the packed file too.
    writeFileSync(join(app, 'pnpm-workspace.yaml'), `overrides:\n  '@convkit/core': '${tarball('core')}'\n`);
    run('pnpm', ['install', '--offline'], app);

    writeFileSync(join(app, 'main.js'), `
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, listModels, createModel, summary, trainStep, crossEntropy } from '@convkit/core';
import '@convkit/classifiers';
import '@convkit/backend-wasm';
import { LeNet5 } from '@convkit/classifiers/lenet';
const backend = await useBackend();
const model = createModel('lenet5');
model.eval();
const y = model.call(tf.ones([2, 32, 32, 1]));
const fromSubpath = model instanceof LeNet5;
model.train();
const optimizer = tf.train.sgd(0.01);
const loss = await trainStep(model, optimizer, () => crossEntropy(model.call(tf.ones([2, 32, 32, 1])), tf.tensor1d([3, 7], 'int32')));
console.log(JSON.stringify({ backend, models: listModels().length, shape: y.shape, params: model.countParams(), macs: summary(model, [1, 32, 32, 1]).macs, trained: Number.isFinite(loss), fromSubpath }));
`);
    const out = JSON.parse(run('node', ['main.js'], app).trim().split('\n').pop()!);
    expect(out).toEqual({ backend: 'wasm', models: expect.any(Number), shape: [2, 10], params: 61706, macs: 416520, trained: true, fromSubpath: true });
    expect(out.models).toBeGreaterThan(1);

    writeFileSync(join(app, 'main.ts'), `
import { type ModelSummary, Conv2d, summary } from '@convkit/core';
import { lenet5 } from '@convkit/classifiers';
import { type ResNet, resnet18 } from '@convkit/classifiers/resnet';
import { wasmBackend } from '@convkit/backend-wasm';
const conv: Conv2d = new Conv2d(3, 8, 3, { padding: 'same' });
const s: ModelSummary = summary(lenet5(), [1, 32, 32, 1]);
const name: string = wasmBackend.name;
const makeResnet: () => ResNet = resnet18;
export { conv, s, name, makeResnet };
`);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['main.ts'] }));
    run('node', [typescript, '-p', 'tsconfig.json'], app);
  }, 180_000);
});
