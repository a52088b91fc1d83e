import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { unavailableReasons } from '../base.js';
import { loadAddon } from './addon.js';
import { OP_CODES, opCodeDrift } from './ops.js';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const nvcc = ['nvcc', '/usr/local/cuda/bin/nvcc'].some((c) => spawnSync(c, ['--version']).status === 0);
const loaded = loadAddon();
const gpu = loaded.addon !== null && unavailableReasons(loaded.addon.probe()).length === 0;

describe('native addon', () => {
  it.skipIf(!nvcc)('is built by the package build where nvcc is found, and loads', () => {
    expect(loaded.addon ? 'loaded' : loaded.reason).toBe('loaded');
    expect(Object.keys(loaded.addon!).sort()).toEqual(expect.arrayContaining(['alloc', 'conv2d', 'gemm', 'init', 'opCodes', 'probe', 'release', 'upload', 'download']));
    expect(opCodeDrift(loaded.addon!.opCodes())).toEqual([]);
  });

  it('refuses an addon built from other op codes, naming the first differences in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'convkit-cuda-addon-'));
    const previous = process.env.CONVKIT_CUDA_ADDON;
    try {
      const codes = { ...OP_CODES, binary: { ...OP_CODES.binary, Add: 1, Sub: 0 } };
      writeFileSync(join(dir, 'stale.cjs'), `module.exports = { opCodes: () => (${JSON.stringify(codes)}) };`);
      process.env.CONVKIT_CUDA_ADDON = join(dir, 'stale.cjs');
      vi.resetModules();
      const fresh = await import('./addon.js');
      const result = fresh.loadAddon();
      expect(result.addon).toBeNull();
      expect(result.addon ? '' : result.reason).toMatch(/^the native addon at \S+stale\.cjs was built from other op codes than src\/native\/ops\.ts \(binary\.Add: addon 1, ops\.ts 0; binary\.Sub: addon 0, ops\.ts 1\): rebuild it with `pnpm --filter @convkit\/backend-cuda build`$/);
    } finally {
      if (previous === undefined) delete process.env.CONVKIT_CUDA_ADDON;
      else process.env.CONVKIT_CUDA_ADDON = previous;
      vi.resetModules();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!loaded.addon || gpu)('probes the machine without a GPU: no driver or no device, libraries named', () => {
    const probe = loaded.addon!.probe();
    expect(probe.runtimeVersion).toBeGreaterThanOrEqual(12000);
    expect(probe.deviceCount).toBe(0);
    expect(probe.deviceError).toMatch(/^cudaError\w+: /);
    if (!probe.cudnn.loaded) expect(probe.cudnn.error).toMatch(/^libcudnn\.so\.9 not found \(/);
    if (!probe.cublas.loaded) expect(probe.cublas.error).toMatch(/^libcublas\.so\.13 or \.12 not found \(/);
  });

  it.skipIf(!loaded.addon || gpu)('refuses device work before init with a JS error, not a crash', () => {
    expect(() => loaded.addon!.alloc(16)).toThrow(/not initialised/);
    expect(() => loaded.addon!.init(false)).toThrow(/libcudnn\.so\.9 not found|libcublas|cuda/i);
    expect(() => loaded.addon!.alloc(16)).toThrow(/not initialised/);
  });

  it('records why it was not built where nvcc is missing, without failing the build', () => {
    const dir = mkdtempSync(join(tmpdir(), 'convkit-cuda-build-'));
    try {
      const script = join(packageRoot, 'scripts', 'build-addon.mjs');
      const missing = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, CONVKIT_NVCC: join(dir, 'no-nvcc'), CONVKIT_CUDA_BUILD_DIR: dir } });
      expect(missing.status).toBe(0);
      const status = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as { built: boolean; reason: string };
      expect(status).toMatchObject({ built: false, reason: expect.stringMatching(/^nvcc was not found/) });
      const required = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, CONVKIT_NVCC: join(dir, 'no-nvcc'), CONVKIT_CUDA_BUILD_DIR: dir, CONVKIT_CUDA_BUILD: 'always' } });
      expect(required.status).toBe(1);
      const bogus = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, CONVKIT_CUDA_BUILD: 'bogus', CONVKIT_CUDA_BUILD_DIR: dir } });
      expect(bogus.stderr).toMatch(/CONVKIT_CUDA_BUILD must be auto, always or never, not 'bogus'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!gpu)('initialises on the GPU and round-trips data through the pool (needs a GPU)', () => {
    const addon = loaded.addon!;
    addon.init(false);
    const ptr = addon.alloc(16);
    addon.upload(ptr, Float32Array.of(1, 2, 3, 4));
    const back = new Float32Array(4);
    addon.download(ptr, back);
    addon.release(ptr);
    expect(Array.from(back)).toEqual([1, 2, 3, 4]);
  });
});
