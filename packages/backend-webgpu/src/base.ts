import * as tf from '@tensorflow/tfjs-core';
import type { Availability, BackendPlugin } from '@convkit/core';
import { padV2Config } from './kernels/PadV2.js';

/** The slice of the WebGPU API the probe uses; tsconfig's DOM lib has no WebGPU types. */
interface GpuProbe {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<{
    requestDevice(): Promise<{ destroy(): void }>;
  } | null>;
}

/**
 * Whether WebGPU can run here, asking for an adapter and a device the way tfjs-backend-webgpu will (its
 * factory dereferences a null adapter, so without this check a missing one surfaces as a TypeError). The
 * probe device is destroyed again: a page gets few, and tfjs asks for its own.
 */
export async function webgpuAvailability(): Promise<Availability> {
  const global = globalThis as { navigator?: { gpu?: GpuProbe }; isSecureContext?: boolean; document?: unknown; WorkerGlobalScope?: unknown };
  if (global.navigator === undefined || (global.document === undefined && global.WorkerGlobalScope === undefined)) {
    return { available: false, reason: 'no WebGPU: not running in a browser' };
  }
  const gpu = global.navigator.gpu;
  if (!gpu) {
    return {
      available: false,
      reason: global.isSecureContext === false
        ? 'no WebGPU: navigator.gpu is undefined because the page is not a secure context; serve it over https or from localhost'
        : 'no WebGPU: navigator.gpu is undefined: this browser does not support WebGPU or has it disabled (Chromium on Linux: --enable-unsafe-webgpu --enable-features=Vulkan)',
    };
  }
  let adapter;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (error) {
    return { available: false, reason: `no WebGPU: navigator.gpu.requestAdapter() threw: ${(error as Error).message}` };
  }
  if (!adapter) {
    return {
      available: false,
      reason: 'no WebGPU: navigator.gpu.requestAdapter() returned null: the browser found no usable GPU adapter ' +
        '(blocklisted driver, or no Vulkan; headless Chromium can use SwiftShader with --use-webgpu-adapter=swiftshader)',
    };
  }
  try {
    (await adapter.requestDevice()).destroy();
  } catch (error) {
    return { available: false, reason: `no WebGPU: the adapter refused a device: ${(error as Error).message}` };
  }
  return { available: true };
}

export interface WebgpuBackendOptions {
  /**
   * Plugin priority. Default 2.5: ahead of wasm (2), behind webgl (3), so that importing this package
   * next to @convkit/backend-webgl does not change what `useBackend()` picks on a page that works today;
   * pass 4 to prefer WebGPU wherever it starts, or ask for 'webgpu' by name.
   */
  priority?: number;
}

/**
 * tfjs-backend-webgpu: WGSL compute shaders over storage buffers. Its PadV2 kernel is replaced by
 * kernels/PadV2.ts on load; every tfjs flag keeps its default.
 */
export function webgpuBackendPlugin(options: WebgpuBackendOptions = {}): BackendPlugin {
  return {
    name: 'webgpu',
    priority: options.priority ?? 2.5,
    isAvailable: webgpuAvailability,
    async load() {
      await import('@tensorflow/tfjs-backend-webgpu');
      installKernelFixes();
    },
  };
}

const fixedKernels = new WeakSet<tf.KernelFunc>();

/** Puts convkit's PadV2 (kernels/PadV2.ts) over the stock webgpu one it wraps; loading twice wraps once. */
function installKernelFixes(): void {
  const stock = tf.getKernel(tf.PadV2, 'webgpu');
  if (!stock || fixedKernels.has(stock.kernelFunc)) return;
  const fixed = padV2Config(stock.kernelFunc);
  fixedKernels.add(fixed.kernelFunc);
  tf.unregisterKernel(tf.PadV2, 'webgpu');
  tf.registerKernel(fixed);
}

/** The plugin `@convkit/backend-webgpu` registers. */
export const webgpuBackend: BackendPlugin = webgpuBackendPlugin();
