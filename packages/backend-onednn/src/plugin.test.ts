import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableBackends, useBackend } from '@convkit/core';
import '@convkit/backend-wasm';
import { describe, expect, it } from 'vitest';
import { NATIVE_KERNELS, SHARED_KERNELS, onednnAvailability, onednnBackend, onednnBackendPlugin, resolveThreads } from './index.js';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const availability = await onednnAvailability();
const reason = availability.available ? '' : availability.reason;
if (reason) console.log(`onednn is not available here, so its run-time tests are skipped: ${reason}`);

describe('onednn plugin', () => {
  it('registers as onednn with priority 3, ahead of wasm', async () => {
    expect(onednnBackend).toMatchObject({ name: 'onednn', priority: 3 });
    expect(onednnBackendPlugin({ priority: 9 }).priority).toBe(9);
    const statuses = await availableBackends();
    const names = statuses.map((s) => s.name);
    expect(names.indexOf('onednn')).toBeLessThan(names.indexOf('wasm'));
  });

  it.skipIf(!availability.available)('is what useBackend() picks in Node, with every core as threads by default', async () => {
    expect(await useBackend()).toBe('onednn');
    expect(resolveThreads(undefined)).toBeGreaterThanOrEqual(1);
  });

  it('takes its thread count from the option or CONVKIT_ONEDNN_THREADS, and refuses nonsense', () => {
    expect(resolveThreads(3)).toBe(3);
    const saved = process.env.CONVKIT_ONEDNN_THREADS;
    try {
      process.env.CONVKIT_ONEDNN_THREADS = '5';
      expect(resolveThreads(undefined)).toBe(5);
      process.env.CONVKIT_ONEDNN_THREADS = 'many';
      expect(() => resolveThreads(undefined)).toThrow("onednn threads must be a positive integer, got CONVKIT_ONEDNN_THREADS='many'");
      expect(() => resolveThreads(0)).toThrow('onednn threads must be a positive integer, got 0');
    } finally {
      if (saved === undefined) delete process.env.CONVKIT_ONEDNN_THREADS;
      else process.env.CONVKIT_ONEDNN_THREADS = saved;
    }
  });

  it('names the missing library and how to get it, when CONVKIT_ONEDNN_LIBRARY points nowhere', () => {
    const script = `import('@convkit/backend-onednn').then(async (m) => console.log(JSON.stringify(await m.onednnAvailability())))`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: packageRoot,
      env: { ...process.env, CONVKIT_ONEDNN_LIBRARY: '/nonexistent/libdnnl.so.2' },
      encoding: 'utf8',
    });
    const result = JSON.parse(out.trim().split('\n').pop()!) as { available: boolean; reason: string };
    expect(result.available).toBe(false);
    if (!reason) {
      expect(result.reason).toMatch(/^cannot open \/nonexistent\/libdnnl\.so\.2: .*; check CONVKIT_ONEDNN_LIBRARY$/);
    } else {
      expect(result.reason).toMatch(/native addon/);
    }
  });

  it('covers every kernel the model zoo uses, natively or with tfjs-backend-cpu in place', () => {
    const zoo = JSON.parse(readFileSync(join(packageRoot, '..', '..', 'tools', 'kernels', 'zoo-kernels.json'), 'utf8')) as { all: string[] };
    const covered = new Set([...NATIVE_KERNELS, ...SHARED_KERNELS]);
    expect(zoo.all.filter((k) => !covered.has(k))).toEqual([]);
    const nativeInZoo = zoo.all.filter((k) => NATIVE_KERNELS.includes(k));
    console.log(`native: ${NATIVE_KERNELS.join(', ')}\nzoo kernels native: ${nativeInZoo.length} of ${zoo.all.length}; shared with tfjs-backend-cpu: ${zoo.all.filter((k) => !NATIVE_KERNELS.includes(k)).join(', ')}`);
    expect(NATIVE_KERNELS).toEqual(expect.arrayContaining([
      'Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'MaxPool', 'MaxPoolGrad', 'AvgPool', 'AvgPoolGrad',
      'FusedBatchNorm', 'Relu', 'Add', 'Multiply', 'Sub', 'RealDiv', 'Maximum', 'Concat', 'PadV2', 'Mean', '_FusedMatMul', 'BatchMatMul',
    ]));
  });
});
