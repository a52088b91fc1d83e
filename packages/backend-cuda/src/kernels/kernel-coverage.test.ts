import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { NATIVE_KERNELS, registerCudaKernels } from './register.js';

/** What tools/kernels/zoo-kernels.mjs recorded: the kernels each registered model runs. */
const zoo = JSON.parse(readFileSync(new URL('../../../../tools/kernels/zoo-kernels.json', import.meta.url), 'utf8')) as {
  all: string[];
  models: Record<string, { task: string; forward: string[]; train: string[] }>;
};

/**
 * Zoo kernels that run on the CPU on cuda. Each is a deliberate gap, listed so that a new one is seen:
 * the model zoo's inference and training otherwise never leave the device.
 */
const ZOO_FALLBACKS: string[] = [];

describe('kernel coverage', () => {
  it('lists, for every kernel the model zoo runs, whether cuda runs it natively', () => {
    const native = zoo.all.filter((k) => NATIVE_KERNELS.includes(k));
    const fallback = zoo.all.filter((k) => !NATIVE_KERNELS.includes(k));
    const rows = Object.entries(zoo.models).map(([name, m]) => {
      const gaps = [...new Set([...m.forward, ...m.train])].filter((k) => !NATIVE_KERNELS.includes(k));
      return `${name.padEnd(18)} ${String(m.forward.length).padStart(3)} forward ${String(m.train.length).padStart(3)} train  ${gaps.length ? `cpu: ${gaps.join(', ')}` : 'all native'}`;
    });
    console.log(`zoo kernels: ${native.length} native, ${fallback.length} on the cpu${fallback.length ? ` (${fallback.join(', ')})` : ''}\n${rows.join('\n')}`);
    expect(zoo.all.length).toBeGreaterThan(20);
    expect(fallback).toEqual(ZOO_FALLBACKS);
  });

  it('gives every kernel tfjs-backend-cpu has a cuda kernel: native or its cpu fallback', () => {
    registerCudaKernels();
    const missing = tf.getKernelsForBackend('cpu').map((k) => k.kernelName).filter((name) => !tf.getKernel(name, 'cuda'));
    expect(missing).toEqual([]);
    for (const name of NATIVE_KERNELS) expect(tf.getKernel(name, 'cuda'), name).toBeDefined();
  });

  it('names each native kernel once, and only kernels tfjs knows', () => {
    expect(new Set(NATIVE_KERNELS).size).toBe(NATIVE_KERNELS.length);
    const known = new Set(tf.getKernelsForBackend('cpu').map((k) => k.kernelName));
    expect(NATIVE_KERNELS.filter((k) => !known.has(k))).toEqual([]);
  });
});
