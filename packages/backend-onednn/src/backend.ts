import { totalmem } from 'node:os';
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
  /** A kernel's output not computed yet (see `defer`). */
  pending?: PendingOutput;
}

/**
 * A kernel's output kept as a recipe until something reads it, so that the ReLU after it can run as
 * part of the same primitive: `run(activation)` computes it, followed by that activation, into a new
 * buffer. The inputs stay referenced until the output is computed or freed.
 */
export interface PendingOutput {
  layout: LayoutId;
  shape: number[];
  /** The activations (ACTIVATION codes) `run` can apply in the same pass. */
  fusable: readonly number[];
  run(activation: number): Float32Array;
  inputs: DataId[];
}

export interface BlockedStorage {
  buffer: Float32Array;
  layout: LayoutId;
  /** The tfjs shape the layout describes; a reshape that shares the data id reads `values` instead. */
  shape: number[];
  /** The buffer is also the tensor's `values`, which readers may keep: it is not reused when the tensor is freed. */
  exposed: boolean;
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
  /** Most bytes of freed buffers kept for reuse (default: an eighth of the machine's memory, at most 2 GiB; a training step holds every activation). */
  maxPooledBytes?: number;
}

export interface OnednnMemoryInfo {
  unreliable: boolean;
  reasons: string[];
  /** Bytes of tensors in buffers the backend owns (kernel outputs, in oneDNN's layouts or row-major). */
  numBytesInLayouts: number;
  /** Bytes of cached derived layouts (reordered weights). */
  numBytesInDerived: number;
  /** Bytes of freed blocked buffers kept for the next outputs of their size. */
  numBytesPooled: number;
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
  private readonly layouts = new Map<string, LayoutId>();
  private readonly plans = new Map<string, PlanSlots>();
  private readonly refused = new Set<string>();
  private readonly layoutSizes = new Map<LayoutId, number>();
  private readonly pool = new Map<number, Float32Array[]>();
  private pooledBytes = 0;
  private readonly maxPooledBytes: number;
  private readonly maxPlans: number;
  private layoutBytes = 0;
  private derivedBytes = 0;

  constructor(readonly addon: NativeAddon, options: OnednnBackendOptions) {
    super();
    // tfjs-backend-cpu's constructor prepares a notice recommending tfjs-node on first write; this backend is the native one.
    (this as unknown as { firstUse: boolean }).firstUse = false;
    this.maxPlans = options.maxPlans ?? 4096;
    this.maxPooledBytes = options.maxPooledBytes ?? Math.min(2 * 2 ** 30, totalmem() / 8);
    addon.setThreads(options.threads);
  }

  get threads(): number {
    return this.addon.threads();
  }

  /** The layout of a tfjs tensor of this shape in its own row-major order. */
  plainLayout(shape: readonly number[]): LayoutId {
    return this.layout(shape.join(','), () => this.addon.layoutStrided(nativeDims(shape), plainStrides(shape)));
  }

  /** The convolutions' channel-blocked layout for an image of this tfjs shape [N, H, W, C], or -1 where there is none. */
  imageLayout(shape: readonly number[]): LayoutId {
    return this.layout(`image|${shape}`, () => this.addon.layoutImage(nativeDims(shape)));
  }

  /**
   * The tensor as a oneDNN primitive takes it, in `layout`: its own buffer where it is in that layout
   * already, else a reordered copy in a pooled buffer that `release` hands back.
   */
  viewIn(info: TensorInfo, layout: LayoutId): NativeView & { temporary: boolean } {
    const view = this.view(info);
    if (view.layout === layout) return { ...view, temporary: false };
    const buffer = this.bufferFor(layout);
    this.execute(this.plan(`reorder|${view.layout}|${layout}`, () => this.addon.planReorder(view.layout, layout)), [view.buffer, buffer]);
    return { buffer, layout, temporary: true };
  }

  /** Hands a temporary buffer from `viewIn` back to the pool. */
  release(view: NativeView & { temporary: boolean }): void {
    if (view.temporary) this.recycle(view.buffer);
  }

  /** A layout made once by `make` and then looked up by `key`. */
  layout(key: string, make: () => LayoutId): LayoutId {
    let id = this.layouts.get(key);
    if (id === undefined) this.layouts.set(key, (id = make()));
    return id;
  }

  /**
   * A plan from the cache, or built by `build` and cached under `key`. The cache is least-recently-used
   * first out, so the plans of the kernel running now are never the ones released; a deferred output
   * looks its plan up again when it runs, as the one it saw may have been released since.
   */
  plan(key: string, build: () => PlanSlots): PlanSlots {
    let slots = this.plans.get(key);
    if (slots !== undefined) {
      this.plans.delete(key);
      this.plans.set(key, slots);
      return slots;
    }
    slots = build();
    if (this.plans.size >= this.maxPlans) {
      const [oldestKey, oldest] = this.plans.entries().next().value as [string, PlanSlots];
      this.plans.delete(oldestKey);
      this.addon.release(oldest[0]);
    }
    this.plans.set(key, slots);
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

  /** The bytes a tensor of this layout takes (blocked layouts may pad channels up to a whole block). */
  layoutSize(layout: LayoutId): number {
    let bytes = this.layoutSizes.get(layout);
    if (bytes === undefined) this.layoutSizes.set(layout, (bytes = this.addon.layoutBytes(layout)));
    return bytes;
  }

  /**
   * A buffer for a kernel's output in this layout, from the pool of freed blocked buffers where one of
   * the size is free (oneDNN writes every element, padding lanes included), else new and zeroed. Reuse
   * matters: a fresh buffer of an activation's size is fresh pages, whose first-touch faults made
   * single convolutions take 3 to 10 times their time.
   */
  bufferFor(layout: LayoutId): Float32Array {
    const length = this.layoutSize(layout) / 4;
    const free = this.pool.get(length);
    const reused = free?.pop();
    if (reused) {
      this.pooledBytes -= reused.byteLength;
      return reused;
    }
    return new Float32Array(length);
  }

  /** Keeps a blocked buffer no reader can hold (they read `values`) for the next output of its size. */
  private recycle(buffer: Float32Array): void {
    if (this.pooledBytes + buffer.byteLength > this.maxPooledBytes) return;
    let free = this.pool.get(buffer.length);
    if (!free) this.pool.set(buffer.length, (free = []));
    free.push(buffer);
    this.pooledBytes += buffer.byteLength;
  }

  /**
   * Registers a kernel's float32 output, held in `buffer` (from `bufferFor`) in `layout`. The buffer
   * stays the backend's own, and goes back to the pool when the tensor is freed, unless a reader is
   * handed it as the tensor's row-major `values` (see `plainValues`).
   */
  output(shape: number[], layout: LayoutId, buffer: Float32Array): TensorInfo {
    const dataId = {};
    this.data.set(dataId, { dtype: 'float32', refCount: 1, blocked: { buffer, layout, shape: shape.slice(), exposed: false } });
    this.layoutBytes += buffer.byteLength;
    return { dataId, shape, dtype: 'float32' };
  }

  /**
   * Registers an output to be computed when first read (`realize`), holding references to its inputs.
   * A ReLU kernel that meets it first computes both in one pass (`runPendingWith`).
   */
  defer(pending: PendingOutput): TensorInfo {
    const dataId = {};
    for (const input of pending.inputs) this.incRef(input);
    this.data.set(dataId, { dtype: 'float32', refCount: 1, pending });
    return { dataId, shape: pending.shape.slice(), dtype: 'float32' };
  }

  /** The output of `info`'s pending kernel followed by `activation`, as a new tensor; null where it has none or cannot fuse it. */
  runPendingWith(info: TensorInfo, activation: number): TensorInfo | null {
    const pending = this.data.get(info.dataId).pending;
    if (!pending || !pending.fusable.includes(activation) || !sameShape(pending.shape, info.shape)) return null;
    return this.output(info.shape.slice(), pending.layout, pending.run(activation));
  }

  /** Computes a pending output where there is one, and lets go of its inputs. */
  private realize(entry: OnednnTensorData): void {
    const pending = entry.pending;
    if (!pending) return;
    const buffer = pending.run(0);
    entry.pending = undefined;
    entry.blocked = { buffer, layout: pending.layout, shape: pending.shape, exposed: false };
    this.layoutBytes += buffer.byteLength;
    for (const input of pending.inputs) this.disposeData(input);
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
    this.realize(entry);
    if (entry.values === undefined && entry.blocked) {
      const blocked = entry.blocked;
      const plain = this.plainLayout(blocked.shape);
      if (blocked.layout === plain) {
        entry.values = blocked.buffer;
        blocked.exposed = true;
      } else {
        const values = new Float32Array(tf.util.sizeFromShape(blocked.shape));
        this.execute(this.plan(`reorder|${blocked.layout}|${plain}`, () => this.addon.planReorder(blocked.layout, plain)), [blocked.buffer, values]);
        entry.values = values;
      }
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
      // Never read: never computed.
      for (const input of entry.pending?.inputs ?? []) this.disposeData(input);
      if (entry.blocked) {
        this.layoutBytes -= entry.blocked.buffer.byteLength;
        // A forced free is tfjs moving the data to another backend: a pending output may still read this buffer.
        if (!entry.blocked.exposed && !force) this.recycle(entry.blocked.buffer);
      }
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
      numBytesPooled: this.pooledBytes,
      numPlans: stats.plans,
      numBytesInPlans: stats.scratchBytes,
    };
  }

  override dispose(): void {
    for (const [, slots] of this.plans) this.addon.release(slots[0]);
    this.plans.clear();
    this.pool.clear();
    this.pooledBytes = 0;
    super.dispose();
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
