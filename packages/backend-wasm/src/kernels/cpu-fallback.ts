import * as tf from '@tensorflow/tfjs-core';

/**
 * Kernels that tfjs-backend-wasm 4.22 lacks but convkit needs for training (depthwise convolution
 * gradients, the gradient of gather), or gets wrong: its MaxPoolGrad sends the gradient of a window whose
 * values are all negative to the wrong element. These run tfjs-backend-cpu's implementation on copies;
 * Conv2DBackpropFilter, needed by every convolution, has a wasm kernel of its own (Conv2DBackpropFilter.ts).
 */
export const CPU_FALLBACK_KERNELS = [
  'DepthwiseConv2dNativeBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'UnsortedSegmentSum',
  'MaxPoolGrad',
] as const;

/** A wasm kernel that copies its inputs to the cpu backend, runs the cpu kernel there and copies the result back. */
function cpuFallback(kernelName: string): tf.KernelConfig {
  return {
    kernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const wasm = backend as tf.KernelBackend;
      const cpu = tf.findBackend('cpu');
      if (!cpu) throw new Error(`kernel '${kernelName}' on 'wasm' runs on the cpu backend, which is not registered`);
      const cpuInputs: Record<string, tf.TensorInfo> = {};
      for (const [name, info] of Object.entries(inputs)) {
        if (!info) continue;
        cpuInputs[name] = { dataId: cpu.write(wasm.readSync(info.dataId), info.shape, info.dtype), shape: info.shape, dtype: info.dtype };
      }
      const output = tf.getKernel(kernelName, 'cpu').kernelFunc({ inputs: cpuInputs, backend: cpu, attrs });
      const outputs = Array.isArray(output) ? output : [output];
      const copied = outputs.map((o) => ({ dataId: wasm.write(cpu.readSync(o.dataId), o.shape, o.dtype), shape: o.shape, dtype: o.dtype }));
      for (const info of [...Object.values(cpuInputs), ...outputs]) cpu.disposeData(info.dataId, true);
      return Array.isArray(output) ? copied : copied[0]!;
    },
  };
}

export function registerCpuFallbackKernels(): void {
  for (const name of CPU_FALLBACK_KERNELS) {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(cpuFallback(name));
  }
}
