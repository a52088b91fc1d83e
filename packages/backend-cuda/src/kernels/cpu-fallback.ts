import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { cpuFallbackKernel as coreCpuFallbackKernel, runOnCpu as coreRunOnCpu } from '@convkit/core';
import type { CudaBackend } from '../backend.js';

const warned = new Set<string>();

function warnOnce(kernelName: string, why: string): void {
  const key = `${kernelName}\u0000${why}`;
  if (warned.has(key)) return;
  warned.add(key);
  console.warn(`@convkit/backend-cuda: kernel '${kernelName}' runs on the CPU backend (${why}); its tensors are copied to the host and back`);
}

/** Kernel names that have fallen back to the CPU so far in this process, for reports. */
export function fallbacksSeen(): string[] {
  return [...new Set([...warned].map((key) => key.split('\u0000')[0]!))].sort();
}

/**
 * Core's `runOnCpu` (tfjs-backend-cpu's kernel on host copies, outputs written back to the device), with a
 * warning the first time a kernel falls back for a given reason. Used by native kernels for parameter
 * combinations they do not handle (e.g. NCHW data).
 */
export function runOnCpu(kernelName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap, backend: CudaBackend, why: string): TensorInfo | TensorInfo[] {
  warnOnce(kernelName, why);
  return coreRunOnCpu(kernelName, 'cuda', inputs, attrs, backend);
}

/** A cuda kernel that is tfjs-backend-cpu's: every kernel without a native implementation. */
export function cpuFallbackKernel(kernelName: string): tf.KernelConfig {
  return coreCpuFallbackKernel(kernelName, 'cuda', (name) => warnOnce(name, 'no native kernel'));
}
