import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An id into the addon's table of oneDNN memory descriptors (dims, data type, and physical layout). */
export type LayoutId = number;
/** An id into the addon's table of plans: primitives bound to their memory slots. */
export type PlanId = number;
/** What a plan builder returns: the plan, then the layout of each of its slots in execution order. */
export type PlanSlots = [PlanId, ...LayoutId[]];

export interface LoadedLibrary {
  version: string;
  cpuRuntime: 'openmp' | 'tbb' | 'other';
  /** oneDNN's `dnnl_cpu_isa_t` of the code it runs: its JIT picks the widest vector unit it finds. */
  isa: number;
}

export interface NativeStats {
  plans: number;
  layouts: number;
  /** Bytes of scratch buffers the plans own (inputs reordered inside a plan, pooling workspaces). */
  scratchBytes: number;
}

/** tfjs's fused activations, as the addon numbers them (native/plans.h). */
export const ACTIVATION = { none: 0, relu: 1, relu6: 2, elu: 3, sigmoid: 4, leakyrelu: 5, negate: 6, square: 7 } as const;
export const POOLING = { max: 0, avgIncludePadding: 1, avgExcludePadding: 2 } as const;
export const BINARY = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5 } as const;
export const REDUCTION = { sum: 0, mean: 1, max: 2, min: 3 } as const;

/**
 * The functions of native/addon.cc. Shapes are oneDNN's logical order: [N, C, H, W] for images and
 * [O, I, kH, kW] for filters. A conv shape is [src 4, weights 4, dst 4, strides 2, dilations 2 (0 =
 * dense), padL 2, padR 2]; a pool shape is [dst 4, kernel 2, strides 2, padL 2, padR 2].
 * A layout argument of -1 lets oneDNN pick the layout it runs fastest on.
 */
export interface NativeAddon {
  load(libraryPath: string): LoadedLibrary;
  setThreads(threads: number): void;
  threads(): number;
  layoutStrided(dims: number[], strides: number[]): LayoutId;
  layoutSubmemory(parent: LayoutId, dims: number[], offsets: number[]): LayoutId;
  layoutBytes(layout: LayoutId): number;
  /** The channel-blocked layout the convolutions give for an image of dims [N, C, H, W], or -1 where they have none (fewer channels than a block). */
  layoutImage(dims: number[]): LayoutId;
  /** Slots: src, weights, [bias], dst. */
  planConvForward(shape: number[], src: LayoutId, dst: LayoutId, bias: boolean, activation: number, alpha: number): PlanSlots;
  /** Slots: diff_dst, weights, diff_src. */
  planConvBackwardData(shape: number[], diffDst: LayoutId, diffSrc: LayoutId): PlanSlots;
  /** Slots: src, diff_dst, diff_weights. */
  planConvBackwardWeights(shape: number[], src: LayoutId, diffDst: LayoutId, diffWeights: LayoutId): PlanSlots;
  /** Slots: src, dst. */
  planPoolForward(kind: number, shape: number[], src: LayoutId, dst: LayoutId): PlanSlots;
  /** Slots: src, diff_dst, diff_src. */
  planPoolBackward(kind: number, shape: number[], src: LayoutId, diffDst: LayoutId, diffSrc: LayoutId): PlanSlots;
  /** Slots: src, dst. */
  planEltwise(activation: number, alpha: number, src: LayoutId): PlanSlots;
  /** Slots: src0, src1, dst; the activation applies to the result. */
  planBinary(op: number, src0: LayoutId, src1: LayoutId, activation: number): PlanSlots;
  /** ReLU's gradient. Slots: src, diff_dst, diff_src. */
  planReluBackward(src: LayoutId, diffDst: LayoutId): PlanSlots;
  /** Batch norm's gradient with given statistics. Slots: src, diff_dst, mean, variance, scale, diff_src, diff_scale, diff_shift. */
  planBatchNormBackward(src: LayoutId, diffDst: LayoutId, epsilon: number): PlanSlots;
  /** y = alpha x + beta. Slots: src, dst. */
  planAffine(alpha: number, beta: number, src: LayoutId): PlanSlots;
  /** Slots: src, dst (src's dims with 1 on every reduced axis). */
  planReduction(op: number, src: LayoutId, dst: LayoutId): PlanSlots;
  /** Slots: src, mean, variance, scale, shift, dst. */
  planBatchNorm(src: LayoutId, epsilon: number, activation: number): PlanSlots;
  /** Slots: srcs..., dst. */
  planConcat(srcs: LayoutId[], axis: number, dst: LayoutId): PlanSlots;
  /** Slots: src, weights, [bias], dst. */
  planMatmul(src: LayoutId, weights: LayoutId, bias: LayoutId, dst: LayoutId, activation: number, alpha: number): PlanSlots;
  /** Slots: src, dst. */
  planReorder(src: LayoutId, dst: LayoutId): PlanSlots;
  execute(plan: PlanId, buffers: Float32Array[]): void;
  release(plan: PlanId): void;
  stats(): NativeStats;
}

export type AddonLoad = { addon: NativeAddon; path: string } | { addon: null; reason: string };

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the addon is looked for: CONVKIT_ONEDNN_ADDON, else the package's build/ folder. */
export function addonPath(): string {
  return process.env.CONVKIT_ONEDNN_ADDON ?? join(packageRoot, 'build', 'convkit_onednn.node');
}

function buildStatusReason(): string {
  const statusFile = join(packageRoot, 'build', 'status.json');
  if (!existsSync(statusFile)) return 'the native addon was never built (run `pnpm --filter @convkit/backend-onednn build`)';
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
  if (!existsSync(path)) return (cached = { addon: null, reason: process.env.CONVKIT_ONEDNN_ADDON ? `CONVKIT_ONEDNN_ADDON names ${path}, which does not exist` : buildStatusReason() });
  try {
    return (cached = { addon: createRequire(import.meta.url)(path) as NativeAddon, path });
  } catch (error) {
    return (cached = { addon: null, reason: `the native addon at ${path} failed to load: ${(error as Error).message}` });
  }
}

export type LibraryLoad = { library: LoadedLibrary; addon: NativeAddon } | { library: null; reason: string };
let library: LibraryLoad | undefined;

/** The library the addon opens: CONVKIT_ONEDNN_LIBRARY (a path), else libdnnl.so.2 from the loader's path. */
export function libraryPath(): string {
  return process.env.CONVKIT_ONEDNN_LIBRARY ?? '';
}

/** Loads the addon and oneDNN once; never throws. */
export function loadLibrary(): LibraryLoad {
  if (library) return library;
  const loaded = loadAddon();
  if (!loaded.addon) return (library = { library: null, reason: loaded.reason });
  try {
    return (library = { library: loaded.addon.load(libraryPath()), addon: loaded.addon });
  } catch (error) {
    const hint = process.env.CONVKIT_ONEDNN_LIBRARY
      ? 'check CONVKIT_ONEDNN_LIBRARY'
      : "install oneDNN 2.x: on Debian or Ubuntu `apt-get install libdnnl2`, or set CONVKIT_ONEDNN_LIBRARY to a libdnnl.so.2";
    return (library = { library: null, reason: `${(error as Error).message}; ${hint}` });
  }
}
