import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { OnednnBackend } from '../backend.js';

export type KernelArgs = { inputs: NamedTensorInfoMap; backend: OnednnBackend; attrs: NamedAttrMap };
export type KernelResult = TensorInfo | TensorInfo[];
/** A native kernel body: returns null where it does not handle the arguments (tfjs-backend-cpu's kernel then runs). */
export type NativeBody = (args: KernelArgs) => KernelResult | null;

/** A oneDNN failure, named with the kernel and its input shapes. The backend stays usable: no state changed. */
export class OnednnKernelError extends Error {
  constructor(readonly kernelName: string, detail: string, options?: { cause: unknown }) {
    super(`onednn kernel '${kernelName}' ${detail}`, options);
    this.name = 'OnednnKernelError';
  }
}

function describeInputs(inputs: NamedTensorInfoMap): string {
  return Object.entries(inputs)
    .filter(([, info]) => info)
    .map(([name, info]) => `${name} [${info!.shape.join(', ')}] ${info!.dtype}`)
    .join(', ');
}

/**
 * Kernels whose tfjs-backend-cpu implementation only relabels its input (same data id, other shape),
 * as a Cast to the input's own dtype does: they run without converting a blocked tensor to row-major
 * order first.
 */
const VIEW_KERNELS = new Set(['Identity', 'Reshape', 'ExpandDims', 'Squeeze']);

/** Runs tfjs-backend-cpu's kernel in place on this backend's host memory (no copies), after converting blocked inputs. */
export function runShared(kernelName: string, { inputs, backend, attrs }: KernelArgs): KernelResult {
  const kernel = tf.getKernel(kernelName, 'cpu');
  if (!kernel) throw new OnednnKernelError(kernelName, 'has neither a native nor a tfjs-backend-cpu implementation');
  const sameDtypeCast = kernelName === 'Cast' && (attrs as { dtype?: string }).dtype === (inputs.x as TensorInfo | undefined)?.dtype;
  if (!VIEW_KERNELS.has(kernelName) && !sameDtypeCast) {
    for (const info of Object.values(inputs)) if (info) backend.plainValues(info.dataId);
  }
  return kernel.kernelFunc({ inputs, backend, attrs }) as KernelResult;
}

/** A kernel with a oneDNN body, falling back to tfjs-backend-cpu's for arguments the body declines. */
export function nativeKernel(kernelName: string, body: NativeBody): KernelConfig {
  return {
    kernelName,
    backendName: 'onednn',
    kernelFunc: (params) => {
      const args = { inputs: params.inputs, backend: params.backend as OnednnBackend, attrs: params.attrs ?? {} };
      // oneDNN has no memory descriptors of zero elements; tfjs-backend-cpu handles empty tensors.
      if (Object.values(args.inputs).some((info) => info && info.shape.some((d) => d === 0))) return runShared(kernelName, args);
      let result: KernelResult | null;
      try {
        result = body(args);
      } catch (error) {
        if (error instanceof OnednnKernelError) throw error;
        throw new OnednnKernelError(kernelName, `failed on ${describeInputs(args.inputs)}: ${(error as Error).message}`, { cause: error });
      }
      return result ?? runShared(kernelName, args);
    },
  };
}

export function isFloat(...infos: (TensorInfo | undefined)[]): boolean {
  return infos.every((info) => !info || info.dtype === 'float32');
}
