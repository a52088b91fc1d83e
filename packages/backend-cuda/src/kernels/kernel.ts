import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { CudaBackend } from '../backend.js';

export interface CudaKernelArgs {
  inputs: NamedTensorInfoMap;
  attrs: NamedAttrMap;
  backend: CudaBackend;
}

export type CudaKernelFunc = (args: CudaKernelArgs) => TensorInfo | TensorInfo[];

/** A kernel error: the CUDA/cuDNN/cuBLAS message, prefixed by the kernel's name, with the native code. */
export class CudaKernelError extends Error {
  constructor(readonly kernelName: string, readonly code: string, message: string, options?: { cause?: unknown }) {
    super(`cuda kernel '${kernelName}': ${message}`, options);
    this.name = 'CudaKernelError';
  }
}

/**
 * Wraps a native kernel: device tensors it allocated are freed again if it throws (an out-of-memory
 * in the middle of a kernel must not leak what was allocated before it), and the error names the
 * kernel, so that the backend stays usable after a failure.
 */
export function nativeKernel(kernelName: string, fn: CudaKernelFunc): tf.KernelConfig {
  return {
    kernelName,
    backendName: 'cuda',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const cuda = backend as CudaBackend;
      const journal = cuda.openJournal();
      try {
        return fn({ inputs: inputs as NamedTensorInfoMap, attrs: attrs ?? {}, backend: cuda });
      } catch (error) {
        for (const id of journal) cuda.disposeData(id, true);
        if (error instanceof CudaKernelError) throw error;
        const code = (error as { code?: string }).code ?? 'CONVKIT_CUDA';
        throw new CudaKernelError(kernelName, code, (error as Error).message, { cause: error });
      } finally {
        cuda.closeJournal(journal);
      }
    },
  };
}

/**
 * Releases temporaries made inside a kernel. Reference counted, not forced: a temporary made by
 * `reshaped` shares its storage with a live input.
 */
export function disposeTemps(backend: CudaBackend, ...infos: (TensorInfo | null | undefined)[]): void {
  for (const info of infos) if (info) backend.disposeData(info.dataId);
}
