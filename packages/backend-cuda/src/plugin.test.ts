import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableBackends, useBackend } from '@convkit/core';
import { describe, expect, it } from 'vitest';
import { cudaBackend, cudaBackendPlugin, unavailableReasons, type ProbeResult } from './index.js';
import { loadAddon } from './native/addon.js';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const loaded = loadAddon();
const probe = loaded.addon?.probe();
const gpu = probe !== undefined && unavailableReasons(probe).length === 0;

describe('cuda plugin', () => {
  it('registers itself under the name cuda with priority 4', async () => {
    expect(cudaBackend).toMatchObject({ name: 'cuda', priority: 4 });
    expect(cudaBackendPlugin({ priority: 7 }).priority).toBe(7);
    const status = (await availableBackends()).find((s) => s.name === 'cuda');
    expect(status).toMatchObject({ name: 'cuda', priority: 4 });
  });

  it.skipIf(gpu)('says exactly why it cannot run here (no GPU on this machine)', async () => {
    const a = await cudaBackend.isAvailable();
    expect(a.available).toBe(false);
    const reason = (a as { reason: string }).reason;
    if (!loaded.addon) {
      expect(reason).toBe(loaded.reason);
      expect(reason).toMatch(/native addon/);
    } else {
      // The addon loaded: the reasons are the probe's, all of them.
      expect(reason).toBe(unavailableReasons(probe!).join('; '));
      if (probe!.driverVersion === 0) expect(reason).toMatch(/^no CUDA driver: libcuda\.so\.1 could not be loaded/);
      if (!probe!.cudnn.loaded) expect(reason).toMatch(/libcudnn\.so\.9 not found/);
      if (!probe!.cublas.loaded) expect(reason).toMatch(/libcublas\.so\.13 or \.12 not found/);
    }
    await expect(useBackend('cuda')).rejects.toThrow(`backend 'cuda' is not available here: ${reason}`);
  });

  it('explains a missing addon by its build status', () => {
    if (loaded.addon) return;
    const status = join(packageRoot, 'build', 'status.json');
    if (existsSync(status)) {
      const recorded = JSON.parse(readFileSync(status, 'utf8')) as { built: boolean; reason?: string };
      if (!recorded.built) expect(loaded.reason).toContain(recorded.reason!);
    } else {
      expect(loaded.reason).toMatch(/never built/);
    }
  });
});

describe('unavailableReasons', () => {
  const base: ProbeResult = {
    runtimeVersion: 13000, driverVersion: 13000, deviceCount: 1,
    device: { name: 'NVIDIA H200', computeCapability: '9.0', totalBytes: 150e9, multiprocessors: 132 },
    cudnn: { loaded: true, version: 91400 }, cublas: { loaded: true, library: 'libcublas.so.13' },
  };

  it('is empty on a machine that can run it', () => {
    expect(unavailableReasons(base)).toEqual([]);
  });

  it('names each missing piece', () => {
    expect(unavailableReasons({ ...base, driverVersion: 0, deviceCount: 0, device: undefined, deviceError: 'cudaErrorInsufficientDriver: CUDA driver version is insufficient for CUDA runtime version' }))
      .toEqual(['no CUDA driver: libcuda.so.1 could not be loaded (cudaErrorInsufficientDriver: CUDA driver version is insufficient for CUDA runtime version)']);
    expect(unavailableReasons({ ...base, driverVersion: 12020, deviceCount: 0, device: undefined, deviceError: 'cudaErrorInsufficientDriver: x' }))
      .toEqual(['no CUDA device (cudaErrorInsufficientDriver: x); driver supports CUDA 12.2, the addon needs 13.0']);
    expect(unavailableReasons({ ...base, device: { ...base.device!, name: 'NVIDIA A100', computeCapability: '8.0' } }))
      .toEqual(['NVIDIA A100 has compute capability 8.0; the addon is built for 9.0 (Hopper) and later']);
    expect(unavailableReasons({ ...base, cudnn: { loaded: false, error: 'libcudnn.so.9 not found (x)' }, cublas: { loaded: false, error: 'libcublas.so.13 or .12 not found (y)' } }))
      .toEqual(['libcudnn.so.9 not found (x)', 'libcublas.so.13 or .12 not found (y)']);
  });
});
