import { availableBackends, useBackend } from '@convkit/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { webgpuAvailability, webgpuBackend, webgpuBackendPlugin } from './index.js';

/** A page whose navigator.gpu answers requestAdapter as `adapter` says. */
function stubPage(gpu: unknown, secure = true) {
  vi.stubGlobal('document', {});
  vi.stubGlobal('isSecureContext', secure);
  vi.stubGlobal('navigator', gpu === undefined ? {} : { gpu });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('webgpu plugin outside a browser', () => {
  it('registers itself behind webgl and ahead of wasm, and says why it cannot run in Node', async () => {
    expect(webgpuBackend).toMatchObject({ name: 'webgpu', priority: 2.5 });
    expect(webgpuBackendPlugin({ priority: 4 }).priority).toBe(4);
    const reason = 'no WebGPU: not running in a browser';
    expect(await webgpuBackend.isAvailable()).toEqual({ available: false, reason });
    expect((await availableBackends()).find((s) => s.name === 'webgpu')).toMatchObject({ available: false, reason });
    await expect(useBackend('webgpu')).rejects.toThrow(`backend 'webgpu' is not available here: ${reason}`);
  });
});

describe('webgpu availability in a browser that cannot start it', () => {
  it('names the insecure context when navigator.gpu is missing there', async () => {
    stubPage(undefined, false);
    expect(await webgpuAvailability()).toEqual({
      available: false,
      reason: 'no WebGPU: navigator.gpu is undefined because the page is not a secure context; serve it over https or from localhost',
    });
  });

  it('names the missing API and the Chromium flags in a secure page', async () => {
    stubPage(undefined);
    const a = await webgpuAvailability();
    expect(!a.available && a.reason).toMatch(/^no WebGPU: navigator\.gpu is undefined: .*--enable-unsafe-webgpu/);
  });

  it('names requestAdapter when there is no adapter', async () => {
    stubPage({ requestAdapter: async () => null });
    const a = await webgpuAvailability();
    expect(!a.available && a.reason).toMatch(/^no WebGPU: navigator\.gpu\.requestAdapter\(\) returned null: .*swiftshader/);
  });

  it('passes on the message when the adapter refuses a device', async () => {
    stubPage({ requestAdapter: async () => ({ requestDevice: async () => { throw new Error('device lost'); } }) });
    expect(await webgpuAvailability()).toEqual({ available: false, reason: 'no WebGPU: the adapter refused a device: device lost' });
  });

  it('is available when a device starts, and destroys the probe device', async () => {
    const destroy = vi.fn();
    stubPage({ requestAdapter: async () => ({ requestDevice: async () => ({ destroy }) }) });
    expect(await webgpuAvailability()).toEqual({ available: true });
    expect(destroy).toHaveBeenCalledOnce();
  });
});
