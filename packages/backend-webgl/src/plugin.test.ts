import { availableBackends, useBackend } from '@convkit/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { webglAvailability, webglBackend } from './index.js';

/** A stand-in for OffscreenCanvas whose getContext answers as `answer` says. */
function fakeCanvas(answer: (kind: string, attributes: { failIfMajorPerformanceCaveat?: boolean }) => boolean) {
  return class {
    getContext(kind: string, attributes: { failIfMajorPerformanceCaveat?: boolean }) {
      return answer(kind, attributes) ? { getExtension: () => ({ loseContext() {} }) } : null;
    }
  };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('webgl plugin outside a browser', () => {
  it('registers itself, with priority over wasm and cpu, and says why it cannot run in Node', async () => {
    expect(webglBackend).toMatchObject({ name: 'webgl', priority: 3 });
    expect(await webglBackend.isAvailable()).toEqual({ available: false, reason: 'no WebGL: not running in a browser' });
    expect((await availableBackends()).find((s) => s.name === 'webgl')).toMatchObject({ available: false, reason: 'no WebGL: not running in a browser' });
  });

  it('refuses to become the active backend, giving the reason', async () => {
    await expect(useBackend('webgl')).rejects.toThrow("backend 'webgl' is not available here: no WebGL: not running in a browser");
  });
});

describe('webgl availability in a browser without a usable context', () => {
  it('names getContext when neither WebGL 2 nor 1 gives a context', () => {
    vi.stubGlobal('OffscreenCanvas', fakeCanvas(() => false));
    expect(webglAvailability()).toEqual({
      available: false,
      reason: "no WebGL: getContext('webgl2') returned null, and so did getContext('webgl'): WebGL is disabled or unsupported in this browser",
    });
  });

  it('is available on WebGL 1 alone', () => {
    vi.stubGlobal('OffscreenCanvas', fakeCanvas((kind) => kind === 'webgl'));
    expect(webglAvailability()).toEqual({ available: true });
  });

  it('refuses software-only WebGL as tfjs does, unless allowed', () => {
    vi.stubGlobal('OffscreenCanvas', fakeCanvas((_, attributes) => !attributes.failIfMajorPerformanceCaveat));
    const refused = webglAvailability();
    expect(refused.available).toBe(false);
    expect(!refused.available && refused.reason).toMatch(/^no WebGL: getContext\('webgl2'\) returned null .*software only.*allowSoftwareRendering: true/);
    expect(webglAvailability({ allowSoftwareRendering: true })).toEqual({ available: true });
  });
});
