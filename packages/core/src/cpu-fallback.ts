import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * Runs tfjs-backend-cpu's kernel `kernelName` on host copies of `inputs`, read from `backend` (registered as
 * `backendName`), and writes its outputs back to `backend`. For a backend's kernels that it lacks, gets wrong
 * or cannot run for some arguments. The cpu backend must be registered (import '@tensorflow/tfjs-backend-cpu');
 * its copies are freed whether or not the kernel throws.
 */
export function runOnCpu(kernelName: string, backendName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap, backend: tf.KernelBackend): TensorInfo | TensorInfo[] {
  const cpu = tf.findBackend('cpu');
  if (!cpu) throw new Error(`kernel '${kernelName}' on '${backendName}' runs on the cpu backend, which is not registered (import '@tensorflow/tfjs-backend-cpu')`);
  const kernel = tf.getKernel(kernelName, 'cpu');
  if (!kernel) throw new Error(`kernel '${kernelName}' has neither a ${backendName} nor a cpu implementation`);
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
    const copied = outputs.map((o) => ({ dataId: backend.write(cpu.readSync(o.dataId), o.shape, o.dtype), shape: o.shape, dtype: o.dtype }));
    return Array.isArray(output) ? copied : copied[0]!;
  } finally {
    for (const info of [...copies, ...outputs]) cpu.disposeData(info.dataId, true);
  }
}

/**
 * A `backendName` kernel that is tfjs-backend-cpu's `kernelName`, run through `runOnCpu`; `beforeRun`, when
 * given, is called with the kernel's name first (a backend that reports its fallbacks).
 */
export function cpuFallbackKernel(kernelName: string, backendName: string, beforeRun?: (kernelName: string) => void): tf.KernelConfig {
  return {
    kernelName,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      beforeRun?.(kernelName);
      return runOnCpu(kernelName, backendName, inputs, attrs ?? {}, backend as tf.KernelBackend);
    },
  };
}
