import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
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
 * Runs tfjs-backend-cpu's kernel on host copies of the inputs and writes the outputs back to the
 * device. Used for every kernel without a native implementation, and by native kernels for
 * parameter combinations they do not handle (e.g. NCHW data).
 */
export function runOnCpu(kernelName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap, backend: CudaBackend, why: string): TensorInfo | TensorInfo[] {
  warnOnce(kernelName, why);
  const cpu = tf.findBackend('cpu');
  if (!cpu) throw new Error(`kernel '${kernelName}' on 'cuda' needs the cpu backend, which is not registered (import '@tensorflow/tfjs-backend-cpu')`);
  const kernel = tf.getKernel(kernelName, 'cpu');
  if (!kernel) throw new Error(`kernel '${kernelName}' has neither a cuda nor a cpu implementation`);
  const cpuInputs: Record<string, TensorInfo> = {};
  const copies: TensorInfo[] = [];
  for (const [name, info] of Object.entries(inputs)) {
    if (!info) continue;
    const copy = { dataId: cpu.write(backend.readSync(info.dataId), info.shape, info.dtype), shape: info.shape, dtype: info.dtype };
    cpuInputs[name] = copy;
    copies.push(copy);
  }
  let outputs: TensorInfo[] = [];
  try {
    const output = kernel.kernelFunc({ inputs: cpuInputs, backend: cpu, attrs });
    outputs = Array.isArray(output) ? output : [output];
    const onDevice = outputs.map((o) => ({ dataId: backend.write(cpu.readSync(o.dataId), o.shape, o.dtype), shape: o.shape, dtype: o.dtype }));
    return Array.isArray(output) ? onDevice : onDevice[0]!;
  } finally {
    for (const info of [...copies, ...outputs]) cpu.disposeData(info.dataId, true);
  }
}

/** A cuda kernel that is tfjs-backend-cpu's, run through `runOnCpu`. */
export function cpuFallbackKernel(kernelName: string): tf.KernelConfig {
  return {
    kernelName,
    backendName: 'cuda',
    kernelFunc: ({ inputs, attrs, backend }) => runOnCpu(kernelName, inputs as NamedTensorInfoMap, attrs ?? {}, backend as CudaBackend, 'no native kernel'),
  };
}
