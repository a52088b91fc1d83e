/**
 * A tensor held in host memory, in the layout and dtype a file stores it in. The weights I/O
 * functions read and write these, so parsing never touches a tfjs backend.
 */
export type HostDType =
  | 'float64' | 'float32' | 'float16' | 'bfloat16'
  | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/** float16 and bfloat16 keep their raw 16-bit words in a Uint16Array; bool is one byte per value. */
export type HostData =
  | Float64Array | Float32Array | Uint16Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

export interface HostTensor {
  dtype: HostDType;
  /** Dimensions in the file's order; [] is a scalar. */
  shape: number[];
  data: HostData;
}

/** Tensors by PyTorch-style dotted name (`layer1.0.conv1.weight`), in PyTorch layouts. */
export type StateDict = Map<string, HostTensor>;

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function shapeToString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

type HostArrayType = { new (buffer: ArrayBuffer): HostData; readonly BYTES_PER_ELEMENT: number; readonly name: string };

const ARRAY_TYPES: Record<HostDType, HostArrayType> = {
  float64: Float64Array, float32: Float32Array, float16: Uint16Array, bfloat16: Uint16Array,
  int64: BigInt64Array, int32: Int32Array, int16: Int16Array, int8: Int8Array, uint8: Uint8Array, bool: Uint8Array,
};

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function bytesPerElement(dtype: HostDType): number {
  return ARRAY_TYPES[dtype].BYTES_PER_ELEMENT;
}

/** Compares by tag rather than instanceof so arrays from another realm (a worker, a vm context) pass. */
export function isHostDataOf(dtype: HostDType, data: HostData): boolean {
  return data[Symbol.toStringTag] === ARRAY_TYPES[dtype].name;
}

/**
 * Copies values stored in `bytes` with the given byte order into a fresh array, so the result is
 * aligned whatever offset the values had in the file. `bytes.length` must be a multiple of the
 * element size.
 */
export function hostDataFromBytes(dtype: HostDType, bytes: Uint8Array, littleEndian: boolean): HostData {
  // Not bytes.slice(): on a Node Buffer that is a view into a shared pool, not a copy.
  const copy = new Uint8Array(bytes);
  swapIfNeeded(copy, bytesPerElement(dtype), littleEndian);
  return new ARRAY_TYPES[dtype](copy.buffer);
}

/** Writes the values of `data` into `target` at `offset` with the given byte order. */
export function writeHostDataBytes(data: HostData, target: Uint8Array, offset: number, littleEndian: boolean): void {
  target.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
  swapIfNeeded(target.subarray(offset, offset + data.byteLength), data.BYTES_PER_ELEMENT, littleEndian);
}

function swapIfNeeded(bytes: Uint8Array, size: number, littleEndian: boolean): void {
  if (size === 1 || littleEndian === HOST_LITTLE_ENDIAN) return;
  for (let i = 0; i < bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}
