import * as tf from '@tensorflow/tfjs-core';
import type { Availability, BackendPlugin } from '@convkit/core';
import { CudaBackend } from './backend.js';
import { loadAddon, type ProbeResult } from './native/addon.js';
import { registerCudaKernels } from './kernels/register.js';

/** The tfjs flag that switches cuDNN and cuBLAS to TF32 tensor-core math: `tf.env().set('CUDA_TF32', true)`. */
export const TF32_FLAG = 'CUDA_TF32';

export interface CudaPluginOptions {
  /** TF32 math from the start; the CUDA_TF32 flag still switches it later. Default: the flag's value, false. */
  tf32?: boolean;
  /** Plugin priority: 4 puts cuda ahead of wasm (2) where it can run. */
  priority?: number;
}

/** The GPU architectures the addon carries code for: sm_90 SASS and compute_90 PTX (which later GPUs JIT). */
const MIN_COMPUTE_CAPABILITY = 9.0;

let liveBackend: CudaBackend | null = null;
let flagRegistered = false;

function registerTf32Flag(): void {
  if (flagRegistered) return;
  flagRegistered = true;
  tf.env().registerFlag(TF32_FLAG, () => false, (value) => liveBackend?.setTf32(Boolean(value)));
}

/** Every reason this machine cannot run the backend, from the addon's probe (empty: it can). */
export function unavailableReasons(probe: ProbeResult): string[] {
  const reasons: string[] = [];
  if (probe.driverVersion === 0) {
    reasons.push(`no CUDA driver: libcuda.so.1 could not be loaded${probe.deviceError ? ` (${probe.deviceError})` : ''}`);
  } else if (probe.deviceCount === 0) {
    reasons.push(`no CUDA device${probe.deviceError ? ` (${probe.deviceError})` : ''}; driver supports CUDA ${cudaVersion(probe.driverVersion)}, the addon needs ${cudaVersion(probe.runtimeVersion)}`);
  } else if (probe.device && Number(probe.device.computeCapability) < MIN_COMPUTE_CAPABILITY) {
    reasons.push(`${probe.device.name} has compute capability ${probe.device.computeCapability}; the addon is built for ${MIN_COMPUTE_CAPABILITY.toFixed(1)} (Hopper) and later`);
  }
  if (!probe.cudnn.loaded) reasons.push(probe.cudnn.error ?? 'libcudnn.so.9 not found');
  if (!probe.cublas.loaded) reasons.push(probe.cublas.error ?? 'libcublas not found');
  return reasons;
}

function cudaVersion(v: number): string {
  return `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}`;
}

/** Why the backend cannot run here, or that it can; never throws. */
export async function cudaAvailability(): Promise<Availability> {
  const loaded = loadAddon();
  if (!loaded.addon) return { available: false, reason: loaded.reason };
  let probe: ProbeResult;
  try {
    probe = loaded.addon.probe();
  } catch (error) {
    return { available: false, reason: `the native addon's probe failed: ${(error as Error).message}` };
  }
  const reasons = unavailableReasons(probe);
  return reasons.length ? { available: false, reason: reasons.join('; ') } : { available: true };
}

/**
 * A convkit plugin for the `cuda` backend. `cudaBackend` (registered by the package's main entry) is
 * `cudaBackendPlugin()`; register another to change the options:
 * `registerBackendPlugin(cudaBackendPlugin({ tf32: true }))`.
 */
export function cudaBackendPlugin(options: CudaPluginOptions = {}): BackendPlugin {
  return {
    name: 'cuda',
    priority: options.priority ?? 4,
    isAvailable: cudaAvailability,
    async load() {
      const loaded = loadAddon();
      if (!loaded.addon) throw new Error(loaded.reason);
      const addon = loaded.addon;
      await import('@tensorflow/tfjs-backend-cpu');
      registerTf32Flag();
      registerCudaKernels();
      if (tf.findBackendFactory('cuda')) tf.removeBackend('cuda');
      tf.registerBackend('cuda', () => {
        liveBackend = new CudaBackend(addon, { tf32: options.tf32 ?? tf.env().getBool(TF32_FLAG) });
        return liveBackend;
      }, options.priority ?? 4);
    },
  };
}

export const cudaBackend: BackendPlugin = cudaBackendPlugin();
