import type { HostTensor } from './host-tensor.js';

const scratch = new DataView(new ArrayBuffer(4));

function float16ToFloat32(word: number): number {
  const sign = word & 0x8000 ? -1 : 1;
  const exponent = (word >> 10) & 0x1f;
  const fraction = word & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function bfloat16ToFloat32(word: number): number {
  scratch.setUint32(0, word << 16);
  return scratch.getFloat32(0);
}

/** The values of any numeric host tensor as float32 (the dtype every convkit parameter has). */
export function toFloat32Array(t: HostTensor): Float32Array {
  switch (t.dtype) {
    case 'float32':
      return t.data as Float32Array;
    case 'float16':
      return Float32Array.from(t.data as Uint16Array, float16ToFloat32);
    case 'bfloat16':
      return Float32Array.from(t.data as Uint16Array, bfloat16ToFloat32);
    case 'int64':
      return Float32Array.from(t.data as BigInt64Array, (v) => Number(v));
    default:
      return Float32Array.from(t.data as ArrayLike<number>);
  }
}
