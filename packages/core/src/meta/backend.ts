import * as tf from '@tensorflow/tfjs-core';
import { META_KERNELS } from './kernels.js';

export const META_BACKEND = 'meta';

/**
 * A tfjs backend whose tensors have a shape and a dtype and no values, as PyTorch's meta device: building
 * a model on it allocates no weights, and a forward pass only works out each layer's output shape, so
 * counting parameters and multiply-adds costs no memory. Reading a value from it is an error.
 */
class MetaBackend extends tf.KernelBackend {
  readonly #refCounts = new Map<tf.DataId, number>();
  /** What each live tensor would take on a real backend, and the most they took at once. */
  readonly #bytes = new Map<tf.DataId, number>();
  liveBytes = 0;
  peakBytes = 0;

  #track(shape: number[], dtype: tf.DataType, refCount = 1): tf.DataId {
    const dataId = {};
    this.#refCounts.set(dataId, refCount);
    const bytes = tf.util.sizeFromShape(shape) * (dtype === 'bool' ? 1 : 4);
    this.#bytes.set(dataId, bytes);
    this.liveBytes += bytes;
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes);
    return dataId;
  }

  /** A new data id with no values behind it, for a kernel's output. */
  output(shape: number[], dtype: tf.DataType): tf.TensorInfo {
    return { dataId: this.#track(shape, dtype), shape, dtype };
  }

  override write(_values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): tf.DataId {
    return this.#track(shape, dtype);
  }

  override move(dataId: tf.DataId, _values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType, refCount: number): void {
    const bytes = tf.util.sizeFromShape(shape) * (dtype === 'bool' ? 1 : 4);
    this.#refCounts.set(dataId, refCount);
    this.#bytes.set(dataId, bytes);
    this.liveBytes += bytes;
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes);
  }

  override read(): Promise<tf.backend_util.BackendValues> {
    return Promise.reject(new Error(noValues));
  }

  override readSync(): tf.backend_util.BackendValues {
    throw new Error(noValues);
  }

  override incRef(dataId: tf.DataId): void {
    this.#refCounts.set(dataId, (this.#refCounts.get(dataId) ?? 0) + 1);
  }

  override refCount(dataId: tf.DataId): number {
    return this.#refCounts.get(dataId) ?? 0;
  }

  override disposeData(dataId: tf.DataId, force = false): boolean {
    const count = this.#refCounts.get(dataId);
    if (count === undefined) return true;
    if (force || count <= 1) {
      this.#refCounts.delete(dataId);
      this.liveBytes -= this.#bytes.get(dataId) ?? 0;
      this.#bytes.delete(dataId);
      return true;
    }
    this.#refCounts.set(dataId, count - 1);
    return false;
  }

  override numDataIds(): number {
    return this.#refCounts.size;
  }

  override memory(): { unreliable: boolean; reasons?: string[] } {
    return { unreliable: false };
  }

  override floatPrecision(): 32 {
    return 32;
  }

  override epsilon(): number {
    return 1e-7;
  }

  override timerAvailable(): boolean {
    return false;
  }

  override async time(f: () => void): Promise<tf.BackendTimingInfo> {
    f();
    return { kernelMs: 0 };
  }

  override dispose(): void {
    this.#refCounts.clear();
    this.#bytes.clear();
  }
}

const noValues = 'a tensor on the meta backend has a shape but no values (models built for counting cannot be run or read)';

let kernelsRegistered = false;

/** Whether tfjs runs on the meta backend now: inside `onMetaBackend`. */
export function isMetaBackend(): boolean {
  return tf.engine().backendName === META_BACKEND;
}

/** A tensor of `shape` with no values; on the meta backend only. */
export function metaTensor(shape: number[], dtype: tf.DataType = 'float32'): tf.Tensor {
  const backend = tf.engine().backend as MetaBackend;
  return tf.engine().makeTensorFromTensorInfo(backend.output(shape, dtype), backend);
}

/**
 * Runs `fn` with the meta backend active, then returns to the backend that was active before and removes
 * the meta backend again (so it never shows among the registered backends). Every tensor `fn` makes has a
 * shape and no values, weights included: init functions and `summary` skip drawing and zero-filling there.
 * Tensors made inside must not outlive `fn`. `fn` is synchronous, so nothing else runs on the meta backend.
 */
export async function onMetaBackend<T>(fn: () => T): Promise<T> {
  if (!kernelsRegistered) {
    for (const [kernelName, shapeOf] of Object.entries(META_KERNELS)) {
      tf.registerKernel({
        kernelName,
        backendName: META_BACKEND,
        kernelFunc: ({ inputs, attrs, backend }) => {
          const outputs = shapeOf(inputs as Record<string, tf.TensorInfo | tf.TensorInfo[]>, (attrs ?? {}) as Record<string, any>);
          const meta = backend as MetaBackend;
          return Array.isArray(outputs) ? outputs.map((o) => meta.output(o.shape, o.dtype)) : meta.output(outputs.shape, outputs.dtype);
        },
      });
    }
    kernelsRegistered = true;
  }
  if (isMetaBackend()) return fn();
  const previous = tf.engine().backendName;
  tf.registerBackend(META_BACKEND, () => new MetaBackend(), -1);
  try {
    await tf.setBackend(META_BACKEND);
    return fn();
  } finally {
    if (previous) await tf.setBackend(previous);
    tf.removeBackend(META_BACKEND);
  }
}

/**
 * The most bytes the tensors `fn` makes hold at once, weights and activations alike, worked out on the meta
 * backend from their shapes: the least memory a backend needs to run `fn` (a backend's own scratch
 * buffers come on top). Everything `fn` needs, the model included, must be made inside it.
 */
export function peakTensorBytes(fn: () => void): Promise<number> {
  return onMetaBackend(() => {
    const backend = tf.engine().backend as MetaBackend;
    const before = backend.liveBytes;
    backend.peakBytes = before;
    fn();
    return backend.peakBytes - before;
  });
}
