import * as tf from '@tensorflow/tfjs-core';
import type { BackendValues, DataId, DataType, TensorInfo } from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { LayoutId, NativeAddon, PlanSlots } from './native/addon.js';

/**
 * A tensor's storage. `values` is tfjs's row-major order (what tfjs-backend-cpu's kernels read);
 * `blocked` is the same tensor in a layout oneDNN picked (e.g. nChw16c, channels in blocks of 16),
 * which oneDNN kernels pass to one another without converting. A tensor has either or both; both
 * once `values` has been derived for a reader, since tensors are immutable.
 */
export interface OnednnTensorData {
  values?: BackendValues;
  dtype: DataType;
  refCount: number;
  complexTensorInfos?: { real: TensorInfo; imag: TensorInfo };
  blocked?: BlockedStorage;
  /** Copies of this tensor in other layouts, e.g. a filter reordered for a convolution, by layout id. */
  derived?: Map<LayoutId, Float32Array>;
}

export interface BlockedStorage {
  buffer: Float32Array;
  layout: LayoutId;
  /** The tfjs shape the layout describes; a reshape that shares the data id reads `values` instead. */
  shape: number[];
}

/** A tensor as a oneDNN primitive takes it: a buffer and its layout. */
export interface NativeView {
  buffer: Float32Array;
  layout: LayoutId;
}

export interface OnednnBackendOptions {
  /** oneDNN's thread count; default: every core Node sees. */
  threads: number;
  /** Most plans (primitives with their bindings) kept; the oldest are released beyond it. */
  maxPlans?: number;
}

export interface OnednnMemoryInfo {
  unreliable: boolean;
  reasons: string[];
  /** Bytes of tensors held in oneDNN's blocked layouts. */
  numBytesInLayouts: number;
  /** Bytes of cached derived layouts (reordered weights). */
  numBytesInDerived: number;
  /** Plans alive, and the bytes of scratch buffers they own. */
  numPlans: number;
  numBytesInPlans: number;
}

/** The logical oneDNN dims of a tfjs shape: [N, H, W, C] images become [N, C, H, W]; others stay. */
export function nativeDims(shape: readonly number[]): number[] {
  return shape.length === 4 ? [shape[0]!, shape[3]!, shape[1]!, shape[2]!] : shape.length === 0 ? [1] : shape.slice();
}

/** Row-major strides of a tfjs shape, in the order of `nativeDims`. */
export function plainStrides(shape: readonly number[]): number[] {
  if (shape.length === 0) return [1];
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= Math.max(1, shape[i]!);
  }
  return shape.length === 4 ? [strides[0]!, strides[3]!, strides[1]!, strides[2]!] : strides;
}

/** The `derived` key of a float32 copy of values held in another array type (never a layout id, which are >= 0). */
const AS_FLOAT32 = -1;

export class OnednnBackend extends MathBackendCPU {
  declare data: tf.DataStorage<OnednnTensorData>;
  private readonly plainLayouts = new Map<string, LayoutId>();
  private readonly plans = new Map<string, PlanSlots>();
  private readonly refused = new Set<string>();
  private readonly maxPlans: number;
  private layoutBytes = 0;
  private derivedBytes = 0;

  constructor(readonly addon: NativeAddon, options: OnednnBackendOptions) {
    super();
    // tfjs-backend-cpu's constructor prepares a notice recommending tfjs-node on first write; this backend is the native one.
    (this as unknown as { firstUse: boolean }).firstUse = false;
    this.maxPlans = options.maxPlans ?? 4096;
    addon.setThreads(options.threads);
  }

  get threads(): number {
    return this.addon.threads();
  }

  /** The layout of a tfjs tensor of this shape in its own row-major order. */
  plainLayout(shape: readonly number[]): LayoutId {
    const key = shape.join(',');
    let id = this.plainLayouts.get(key);
    if (id === undefined) {
      id = this.addon.layoutStrided(nativeDims(shape), plainStrides(shape));
      this.plainLayouts.set(key, id);
    }
    return id;
  }

  /** A plan from the cache, or built by `build` and cached under `key`. */
  plan(key: string, build: () => PlanSlots): PlanSlots {
    let slots = this.plans.get(key);
    if (slots === undefined) {
      slots = build();
      if (this.plans.size >= this.maxPlans) {
        const [oldestKey, oldest] = this.plans.entries().next().value as [string, PlanSlots];
        this.plans.delete(oldestKey);
        this.addon.release(oldest[0]);
      }
      this.plans.set(key, slots);
    }
    return slots;
  }

  /**
   * A plan, or null where oneDNN has no implementation for these layouts and shapes (the caller then
   * runs tfjs-backend-cpu's kernel); the refusal is remembered, so it is asked once per key.
   */
  tryPlan(key: string, build: () => PlanSlots): PlanSlots | null {
    if (this.refused.has(key)) return null;
    try {
      return this.plan(key, build);
    } catch (error) {
      if (!/unimplemented/.test((error as Error).message)) throw error;
      this.refused.add(key);
      return null;
    }
  }

  execute(slots: PlanSlots, buffers: Float32Array[]): void {
    this.addon.execute(slots[0], buffers);
  }

  /** A zeroed buffer for a tensor of this layout (padding lanes of a blocked layout must be zero). */
  bufferFor(layout: LayoutId): Float32Array {
    return new Float32Array(this.addon.layoutBytes(layout) / 4);
  }

  /** Registers a kernel's float32 output; a buffer in the shape's own order becomes plain `values`. */
  output(shape: number[], layout: LayoutId, buffer: Float32Array): TensorInfo {
    const dataId = {};
    if (layout === this.plainLayout(shape)) {
      this.data.set(dataId, { values: buffer, dtype: 'float32', refCount: 1 });
    } else {
      this.data.set(dataId, { dtype: 'float32', refCount: 1, blocked: { buffer, layout, shape: shape.slice() } });
      this.layoutBytes += buffer.byteLength;
    }
    return { dataId, shape, dtype: 'float32' };
  }

  /** Registers a float32 output already in tfjs's row-major order. */
  outputPlain(shape: number[], values: Float32Array): TensorInfo {
    const dataId = {};
    this.data.set(dataId, { values, dtype: 'float32', refCount: 1 });
    return { dataId, shape, dtype: 'float32' };
  }

  /** The tensor as a oneDNN primitive takes it: in its blocked layout when it has one for this shape. */
  view(info: TensorInfo): NativeView {
    const entry = this.data.get(info.dataId);
    const blocked = entry.blocked;
    if (blocked && sameShape(blocked.shape, info.shape)) return { buffer: blocked.buffer, layout: blocked.layout };
    return { buffer: this.floats(info), layout: this.plainLayout(info.shape) };
  }

  /** Ensures `values` (row-major) exists, converting from the blocked layout once. */
  plainValues(dataId: DataId): BackendValues {
    const entry = this.data.get(dataId);
    if (entry.values === undefined && entry.blocked) {
      const { buffer, layout, shape } = entry.blocked;
      const plain = this.plainLayout(shape);
      const values = new Float32Array(tf.util.sizeFromShape(shape));
      this.execute(this.plan(`reorder|${layout}|${plain}`, () => this.addon.planReorder(layout, plain)), [buffer, values]);
      entry.values = values;
    }
    return entry.values!;
  }

  /**
   * A float32 tensor's values as a Float32Array, which oneDNN takes. tfjs-backend-cpu's cast from int32
   * or bool to float32 shares the data id, so the values may be the int32 tensor's: then a converted
   * copy is kept with the data.
   */
  floats(info: TensorInfo): Float32Array {
    const values = this.plainValues(info.dataId);
    if (values instanceof Float32Array) return values;
    const entry = this.data.get(info.dataId);
    entry.derived ??= new Map();
    let copy = entry.derived.get(AS_FLOAT32);
    if (copy === undefined) {
      copy = Float32Array.from(values as ArrayLike<number>);
      entry.derived.set(AS_FLOAT32, copy);
      this.derivedBytes += copy.byteLength;
    }
    return copy;
  }

  /** A copy of an immutable tensor in `layout`, made once from `source` (its plain layout) and kept with it. */
  derived(info: TensorInfo, source: LayoutId, layout: LayoutId): Float32Array {
    const entry = this.data.get(info.dataId);
    entry.derived ??= new Map();
    let buffer = entry.derived.get(layout);
    if (buffer === undefined) {
      const values = this.floats(info);
      if (layout === source) return values;
      buffer = this.bufferFor(layout);
      this.execute(this.plan(`reorder|${source}|${layout}`, () => this.addon.planReorder(source, layout)), [values, buffer]);
      entry.derived.set(layout, buffer);
      this.derivedBytes += buffer.byteLength;
    }
    return buffer;
  }

  override readSync(dataId: DataId): BackendValues {
    this.plainValues(dataId);
    return super.readSync(dataId);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const entry = this.data.has(dataId) ? this.data.get(dataId) : undefined;
    const freed = super.disposeData(dataId, force);
    if (freed && entry) {
      if (entry.blocked) this.layoutBytes -= entry.blocked.buffer.byteLength;
      for (const buffer of entry.derived?.values() ?? []) this.derivedBytes -= buffer.byteLength;
    }
    return freed;
  }

  override memory(): OnednnMemoryInfo {
    const stats = this.addon.stats();
    return {
      unreliable: true,
      reasons: ['Row-major tensors live in JavaScript typed arrays, freed by the garbage collector; the oneDNN figures are exact.'],
      numBytesInLayouts: this.layoutBytes,
      numBytesInDerived: this.derivedBytes,
      numPlans: stats.plans,
      numBytesInPlans: stats.scratchBytes,
    };
  }

  override dispose(): void {
    for (const [, slots] of this.plans) this.addon.release(slots[0]);
    this.plans.clear();
    super.dispose();
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
