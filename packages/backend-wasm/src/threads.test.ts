import { useBackend } from '@convkit/core';
import { describe, expect, it } from 'vitest';
import { setWasmThreads, wasmThreads } from './index.js';

// Node has no SharedArrayBuffer-backed wasm threads in tfjs: the single-threaded binary runs here. The
// threaded binary is tested in headless Chromium (apps/web/test/e2e.test.ts, 'wasm threads').
describe('setWasmThreads', () => {
  it('refuses a count that is not a whole number of at least 1', () => {
    expect(() => setWasmThreads(0)).toThrow(/threads must be a whole number of at least 1, or null for all logical cores, not 0/);
    expect(() => setWasmThreads(1.5)).toThrow(/not 1\.5/);
  });

  it('reports no count before the backend starts, then the count the backend got', async () => {
    expect(wasmThreads()).toBeNull();
    setWasmThreads(1);
    expect(await useBackend('wasm')).toBe('wasm');
    expect(wasmThreads()).toBe(1);
  });

  it('refuses another count once the backend runs, and accepts the one it runs with', () => {
    expect(() => setWasmThreads(4)).toThrow(/already runs with 1 thread\(s\).*call setWasmThreads before the first useBackend\('wasm'\)/);
    expect(() => setWasmThreads(1)).not.toThrow();
    expect(wasmThreads()).toBe(1);
  });
});
