import * as tf from '@tensorflow/tfjs-core';
import type { BackendValues, DataId, DataType, TensorInfo } from '@tensorflow/tfjs-core';
import type { DevicePtr, NativeAddon, NativeMemory } from './native/addon.js';

/**
 * One tensor's storage. Numeric tensors live on the device (bool as int32 0/1, so that every
 * device element is 4 bytes); string and complex64 tensors stay on the host and only the
 * tfjs-backend-cpu fallback kernels touch them.
 */
export interface TensorData {
  dtype: DataType;
  size: number;
  /** 0 for host tensors and empty tensors. */
  ptr: DevicePtr;
  refCount: number;
  host?: BackendValues;
  /**
   * Layouts derived from this (immutable) tensor and cached with it, e.g. a filter in cuDNN's
   * KRSC order: weights are converted once, not on every call. Freed with the tensor.
   */
  derived?: Map<string, DevicePtr>;
}

export interface CudaBackendOptions {
  /** Let cuDNN and cuBLAS run float32 as TF32 on tensor cores (about 10 mantissa bits). Default: exact fp32. */
  tf32?: boolean;
}

export interface CudaMemoryInfo extends NativeMemory {
  unreliable: false;
  /** Bytes held by live tensors (pool blocks, rounded up to their size class). */
  numBytesInGPU: number;
  /** Bytes the pool holds from the driver: live blocks plus cached free blocks. */
  numBytesInGPUAllocated: number;
  numBytesInGPUFree: number;
}

const DEVICE_DTYPES = new Set<DataType>(['float32', 'int32', 'bool']);

/** Whether tensors of this dtype live on the device (and native kernels may take them). */
export function onDevice(dtype: DataType): boolean {
  return DEVICE_DTYPES.has(dtype);
}

export class CudaBackend extends tf.KernelBackend {
  readonly data: tf.DataStorage<TensorData>;
  private tf32: boolean;
  private disposed = false;
  /** Data written while a native kernel runs, per nesting level: freed if the kernel fails. */
  private journals: DataId[][] = [];

  constructor(readonly addon: NativeAddon, options: CudaBackendOptions = {}) {
    super();
    this.tf32 = options.tf32 ?? false;
    addon.init(this.tf32);
    this.data = new tf.DataStorage(this, tf.engine());
  }

  get tf32Enabled(): boolean {
    return this.tf32;
  }

  setTf32(enabled: boolean): void {
    this.tf32 = enabled;
    this.addon.setTf32(enabled);
  }

  /** Device storage for a new tensor; its contents are undefined until a kernel writes them. */
  allocate(shape: readonly number[], dtype: DataType): TensorInfo {
    if (!onDevice(dtype)) throw new Error(`cuda: cannot allocate a ${dtype} tensor on the device`);
    const size = tf.util.sizeFromShape(shape as number[]);
    const dataId = {};
    const ptr = size > 0 ? this.addon.alloc(size * 4) : 0;
    this.data.set(dataId, { dtype, size, ptr, refCount: 1 });
    this.journals[this.journals.length - 1]?.push(dataId);
    return { dataId, shape: shape.slice(), dtype };
  }

  openJournal(): DataId[] {
    const journal: DataId[] = [];
    this.journals.push(journal);
    return journal;
  }

  closeJournal(journal: DataId[]): void {
    const i = this.journals.lastIndexOf(journal);
    if (i >= 0) this.journals.splice(i, 1);
  }

  entry(dataId: DataId): TensorData {
    const entry = this.data.get(dataId);
    if (!entry) throw new Error('cuda: tensor data is not on the cuda backend (disposed, or written by another backend)');
    return entry;
  }

  /** The device address of a tensor's data; native kernels take only device tensors. */
  ptr(info: TensorInfo): DevicePtr {
    const entry = this.entry(info.dataId);
    if (entry.host !== undefined) throw new Error(`cuda: a ${entry.dtype} tensor has no device copy`);
    return entry.ptr;
  }

  /** A cached derived layout of an immutable tensor, made by `make` into a fresh buffer on first use. */
  derived(info: TensorInfo, key: string, make: (into: DevicePtr) => void): DevicePtr {
    const entry = this.entry(info.dataId);
    entry.derived ??= new Map();
    let ptr = entry.derived.get(key);
    if (ptr === undefined) {
      ptr = this.addon.alloc(Math.max(1, entry.size) * 4);
      try {
        make(ptr);
      } catch (error) {
        this.addon.release(ptr);
        throw error;
      }
      entry.derived.set(key, ptr);
    }
    return ptr;
  }

  override write(values: BackendValues, shape: number[], dtype: DataType): DataId {
    const dataId = {};
    this.store(dataId, values, shape, dtype, 1);
    this.journals[this.journals.length - 1]?.push(dataId);
    return dataId;
  }

  override move(dataId: DataId, values: BackendValues, shape: number[], dtype: DataType, refCount: number): void {
    this.store(dataId, values, shape, dtype, refCount);
  }

  private store(dataId: DataId, values: BackendValues, shape: number[], dtype: DataType, refCount: number): void {
    const size = tf.util.sizeFromShape(shape);
    if (!onDevice(dtype)) {
      this.data.set(dataId, { dtype, size, ptr: 0, refCount, host: values });
      return;
    }
    const ptr = size > 0 ? this.addon.alloc(size * 4) : 0;
    this.data.set(dataId, { dtype, size, ptr, refCount });
    if (size > 0 && values != null) {
      try {
        this.addon.upload(ptr, toDeviceArray(values as ArrayLike<number>, dtype));
      } catch (error) {
        this.freeEntry(dataId);
        throw error;
      }
    }
  }

  override readSync(dataId: DataId): BackendValues {
    const entry = this.entry(dataId);
    if (entry.host !== undefined) return entry.host;
    const out = entry.dtype === 'float32' ? new Float32Array(entry.size) : new Int32Array(entry.size);
    if (entry.size > 0) this.addon.download(entry.ptr, out);
    return entry.dtype === 'bool' ? Uint8Array.from(out as Int32Array) : out;
  }

  override async read(dataId: DataId): Promise<BackendValues> {
    return this.readSync(dataId);
  }

  override refCount(dataId: DataId): number {
    return this.data.has(dataId) ? this.data.get(dataId).refCount : 0;
  }

  override incRef(dataId: DataId): void {
    this.entry(dataId).refCount++;
  }

  override disposeData(dataId: DataId, force = false): boolean {
    if (!this.data.has(dataId)) return true;
    const entry = this.data.get(dataId);
    if (!force) {
      entry.refCount--;
      if (entry.refCount > 0) return false;
    }
    this.freeEntry(dataId);
    return true;
  }

  private freeEntry(dataId: DataId): void {
    const entry = this.data.get(dataId);
    if (entry.ptr) this.addon.release(entry.ptr);
    for (const ptr of entry.derived?.values() ?? []) this.addon.release(ptr);
    this.data.delete(dataId);
  }

  override numDataIds(): number {
    return this.data.numDataIds();
  }

  override memory(): CudaMemoryInfo {
    const m = this.addon.memory();
    return { ...m, unreliable: false, numBytesInGPU: m.inUseBytes, numBytesInGPUAllocated: m.inUseBytes + m.cachedBytes, numBytesInGPUFree: m.cachedBytes };
  }

  override timerAvailable(): boolean {
    return true;
  }

  /** Wall time of `f` up to the completion of the device work it enqueued. */
  override async time(f: () => void): Promise<tf.BackendTimingInfo> {
    const start = performance.now();
    f();
    this.addon.synchronize();
    return { kernelMs: performance.now() - start };
  }

  override floatPrecision(): 32 {
    return 32;
  }

  override epsilon(): number {
    return 1e-7;
  }

  override dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.addon.synchronize();
    this.addon.emptyCache();
  }
}

function toDeviceArray(values: ArrayLike<number>, dtype: DataType): Float32Array | Int32Array {
  if (dtype === 'float32') return values instanceof Float32Array ? values : Float32Array.from(values);
  return values instanceof Int32Array ? values : Int32Array.from(values);
}
