import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cpuFallbackKernel } from './cpu-fallback.js';
import { testBackends, useTestBackend } from './test-backends.js';

/**
 * The fallback every backend package registers for kernels it lacks or gets wrong (backend-wasm's
 * kernels/cpu-fallback.ts, backend-cuda's): tried here on tfjs' wasm backend, which has no
 * UnsortedSegmentSum, against the cpu backend's own result.
 */
const backends = await testBackends();
const registered: string[] = [];

function register(kernelName: string, beforeRun?: (name: string) => void): void {
  tf.registerKernel(cpuFallbackKernel(kernelName, 'wasm', beforeRun));
  registered.push(kernelName);
}

afterEach(() => {
  for (const name of registered.splice(0)) tf.unregisterKernel(name, 'wasm');
});

describe.runIf(backends.includes('wasm') && backends.includes('cpu'))('cpuFallbackKernel on wasm', () => {
  beforeAll(() => useTestBackend('wasm'));

  const segmentSum = () => tf.tidy(() => tf.unsortedSegmentSum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]), tf.tensor1d([2, 0, 2], 'int32'), 3));

  it('gives the cpu kernel’s output on wasm, says when it runs, and leaves no copies on cpu', async () => {
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeUndefined();
    const ran: string[] = [];
    register('UnsortedSegmentSum', (name) => ran.push(name));
    const cpu = tf.findBackend('cpu')!;
    const cpuTensors = cpu.numDataIds();
    const y = segmentSum();
    expect(tf.getBackend()).toBe('wasm');
    expect(y.shape).toEqual([3, 2]);
    expect(Array.from(await y.data())).toEqual([3, 4, 0, 0, 6, 8]);
    expect(ran).toEqual(['UnsortedSegmentSum']);
    expect(cpu.numDataIds()).toBe(cpuTensors);
    y.dispose();
  });

  it('names the kernel and the backend when cpu has no such kernel either', () => {
    register('NoSuchKernel');
    const x = tf.ones([2]);
    expect(() => tf.engine().runKernel('NoSuchKernel', { x })).toThrow("kernel 'NoSuchKernel' has neither a wasm nor a cpu implementation");
    x.dispose();
  });
});
