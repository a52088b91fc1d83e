import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { opCodeDrift } from './ops.js';

/** A device address as a JS number: x86-64 device pointers fit in 53 bits. */
export type DevicePtr = number;

export interface ProbeResult {
  runtimeVersion: number;
  /** 0 when no CUDA driver (libcuda.so.1) could be loaded. */
  driverVersion: number;
  deviceCount: number;
  deviceError?: string;
  device?: { name: string; computeCapability: string; totalBytes: number; multiprocessors: number };
  cudnn: { loaded: boolean; version?: number; error?: string };
  cublas: { loaded: boolean; library?: string; error?: string };
}

export interface NativeMemory {
  inUseBytes: number;
  inUseBlocks: number;
  cachedBytes: number;
  peakBytes: number;
  cudaMallocs: number;
  deviceFreeBytes: number;
  deviceTotalBytes: number;
}

/** The functions of the addon in native/ (one file per family); argument orders are documented at each EXPORT. */
export interface NativeAddon {
  probe(): ProbeResult;
  /** The op codes it was built with, by list and name (native/op_codes.h). */
  opCodes(): Record<string, Record<string, number>>;
  init(tf32: boolean): void;
  setTf32(tf32: boolean): void;
  alloc(bytes: number): DevicePtr;
  release(ptr: DevicePtr): void;
  upload(ptr: DevicePtr, data: ArrayBufferView): void;
  download(ptr: DevicePtr, into: ArrayBufferView): void;
  synchronize(): void;
  memory(): NativeMemory;
  emptyCache(): void;
  fill(y: DevicePtr, n: number, dtype: number, value: number): void;
  unary(op: number, dtype: number, x: DevicePtr, y: DevicePtr, n: number, p0: number, p1: number, outInt: boolean): void;
  binary(op: number, dtype: number, a: DevicePtr, b: DevicePtr, y: DevicePtr, shape: number[], aStrides: number[], bStrides: number[], outInt: boolean): void;
  cast(mode: number, x: DevicePtr, y: DevicePtr, n: number): void;
  copy(x: DevicePtr, y: DevicePtr, shape: number[], inStrides: number[], inOffset: number, outStrides: number[], outOffset: number): void;
  reduce(op: number, dtype: number, x: DevicePtr, y: DevicePtr, outer: number, size: number, inner: number, outInt: boolean): void;
  softmax(x: DevicePtr, y: DevicePtr, rows: number, cols: number, log: boolean): void;
  pool(isMax: boolean, x: DevicePtr, y: DevicePtr, params: number[]): void;
  poolGrad(isMax: boolean, dy: DevicePtr, x: DevicePtr, dx: DevicePtr, params: number[]): void;
  /** CONV.forward (x, w) -> y, CONV.backwardData (dy, w) -> dx, CONV.backwardFilter (x, dy) -> dw; activations NHWC, filters KRSC. */
  conv2d(direction: number, a: DevicePtr, b: DevicePtr, out: DevicePtr, params: number[]): void;
  gemm(a: DevicePtr, b: DevicePtr, y: DevicePtr, batch: number, m: number, n: number, k: number, transA: boolean, transB: boolean, strideA: number, strideB: number): void;
  batchNorm(x: DevicePtr, mean: DevicePtr, nm: number, variance: DevicePtr, nv: number, offset: DevicePtr, no: number, scale: DevicePtr, ns: number, eps: number, y: DevicePtr, n: number): void;
  biasActivation(x: DevicePtr, bias: DevicePtr, nb: number, act: number, alpha: DevicePtr, na: number, leaky: number, y: DevicePtr, n: number): void;
  lrn(x: DevicePtr, y: DevicePtr, n: number, channels: number, radius: number, bias: number, alpha: number, beta: number): void;
  resizeBilinear(x: DevicePtr, y: DevicePtr, sizes: number[], rowRatio: number, colRatio: number, halfPixel: boolean): void;
  gather(x: DevicePtr, indices: DevicePtr, y: DevicePtr, outer: number, axisSize: number, nIndices: number, inner: number): void;
  oneHot(indices: DevicePtr, y: DevicePtr, n: number, depth: number, on: number, off: number, isInt: boolean): void;
  select(cond: DevicePtr, a: DevicePtr, b: DevicePtr, y: DevicePtr, n: number, rowSize: number): void;
  range(y: DevicePtr, n: number, start: number, step: number, isInt: boolean): void;
}

export type AddonLoad = { addon: NativeAddon; path: string } | { addon: null; reason: string };

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the addon is looked for: CONVKIT_CUDA_ADDON, else the package's build/ folder. */
export function addonPath(): string {
  return process.env.CONVKIT_CUDA_ADDON ?? join(packageRoot, 'build', 'convkit_cuda.node');
}

function buildStatusReason(): string {
  const statusFile = join(packageRoot, 'build', 'status.json');
  if (!existsSync(statusFile)) return 'the native addon was never built (run `pnpm --filter @convkit/backend-cuda build` where nvcc is installed)';
  try {
    const status = JSON.parse(readFileSync(statusFile, 'utf8')) as { built: boolean; reason?: string };
    return status.built ? `the native addon is missing from ${addonPath()} although its build succeeded` : `the native addon was not built: ${status.reason}`;
  } catch (error) {
    return `the native addon was not built, and its build status is unreadable: ${(error as Error).message}`;
  }
}

let cached: AddonLoad | undefined;

/** Loads the addon once; never throws: a failure is returned with its reason. */
export function loadAddon(): AddonLoad {
  if (cached) return cached;
  const path = addonPath();
  if (!existsSync(path)) return (cached = { addon: null, reason: process.env.CONVKIT_CUDA_ADDON ? `CONVKIT_CUDA_ADDON names ${path}, which does not exist` : buildStatusReason() });
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    const drift = typeof addon.opCodes === 'function' ? opCodeDrift(addon.opCodes()) : ['no opCodes() export'];
    if (drift.length) {
      return (cached = { addon: null, reason: `the native addon at ${path} was built from other op codes than src/native/ops.ts (${drift.slice(0, 3).join('; ')}${drift.length > 3 ? `; ${drift.length - 3} more` : ''}): rebuild it with \`pnpm --filter @convkit/backend-cuda build\`` });
    }
    return (cached = { addon, path });
  } catch (error) {
    return (cached = { addon: null, reason: `the native addon at ${path} failed to load: ${(error as Error).message}` });
  }
}
