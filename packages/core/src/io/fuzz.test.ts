import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WeightsFormatError } from '../errors.js';
import { seededRandom } from '../random.js';
import { elementCount, type HostTensor } from './host-tensor.js';
import { readNpy, writeNpy } from './npy.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';

const CASES = 2000;

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));

class Random {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = seededRandom(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.int(256));
  }
  text(alphabet: string, n: number): string {
    return Array.from({ length: n }, () => alphabet[this.int(alphabet.length)]).join('');
  }
}

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function u64(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
  return out;
}

/**
 * Runs `parse` on every input and keeps those that throw anything but a WeightsFormatError, or that
 * return tensors whose data does not fit their shape.
 */
function fuzz(inputs: Iterable<Uint8Array>, parse: (bytes: Uint8Array) => HostTensor[]) {
  const failures: string[] = [];
  let returned = 0;
  let rejected = 0;
  let index = 0;
  for (const bytes of inputs) {
    try {
      for (const t of parse(bytes)) {
        if (t.data.length !== elementCount(t.shape)) failures.push(`#${index}: ${t.data.length} values for ${t.shape}`);
      }
      returned++;
    } catch (e) {
      if (e instanceof WeightsFormatError) rejected++;
      else failures.push(`#${index}: ${String(e)} on ${JSON.stringify(decode(bytes.subarray(0, 200)))}`);
    }
    index++;
  }
  return { failures: failures.slice(0, 10), returned, rejected };
}

const parseSafetensors = (bytes: Uint8Array) => [...readSafetensors(bytes).tensors.values()];
const parseNpy = (bytes: Uint8Array) => [readNpy(bytes)];

const WEIRD_JSON: unknown[] = [
  -1, 0, 1, 2, 3, 4, 1.5, -0.5, 1e308, 2 ** 53, 2 ** 64, '2', '', 'F32', null, true, [], {}, [0], [1, 2], [0, 4],
  [4, 0], [-1, 3], [0, 2 ** 53], [[1]], { a: 1 },
];
const SAFETENSORS_DTYPES = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL', 'F8_E4M3', 'U16', 'C64', ''];
const SAFETENSORS_FIELDS = ['dtype', 'shape', 'data_offsets'];

function randomShape(r: Random): number[] {
  return Array.from({ length: r.int(4) }, () => r.pick([0, 1, 1, 2, 3, 4, 7, 8]));
}

const SAFETENSORS_SIZES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** A header that is mostly well formed, with the length its data should have. */
function randomSafetensorsHeader(r: Random): { header: unknown; dataLength: number } {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (let i = r.int(5); i > 0; i--) {
    const shape = randomShape(r);
    const dtype = r.pick(SAFETENSORS_DTYPES);
    const itemSize = r.int(6) === 0 ? r.pick([1, 2, 4, 8]) : SAFETENSORS_SIZES[dtype] ?? 1;
    const begin = offset + (r.int(6) === 0 ? r.pick([1, -1]) : 0);
    offset = begin + elementCount(shape) * itemSize;
    header[r.pick(['a', 'b', 'c', '10', 'fc.weight', '__metadata__'])] =
      r.int(10) === 0 ? r.pick(WEIRD_JSON) : { dtype, shape, data_offsets: [begin, offset] };
  }
  if (r.int(3) === 0) header.__metadata__ = r.int(2) ? { format: 'pt' } : { [r.text('ab', 2)]: r.pick(WEIRD_JSON) };
  return { header, dataLength: Math.max(0, offset + (r.int(4) === 0 ? r.pick([-1, 1]) : 0)) };
}

function* randomSafetensorsFiles(r: Random): Generator<Uint8Array> {
  for (let i = 0; i < CASES; i++) {
    const kind = i % 4;
    if (kind === 0) {
      yield r.bytes(r.int(48));
    } else if (kind === 1) {
      const json = encode(r.text('{}[]:,"0123456789-.eE tfnulrsaFIUB_', r.int(120)));
      yield concat(u64(BigInt(json.length)), json, r.bytes(r.int(16)));
    } else {
      const { header, dataLength } = randomSafetensorsHeader(r);
      const json = encode(JSON.stringify(header));
      const length = kind === 2 ? BigInt(json.length) : BigInt(json.length + r.pick([-2, -1, 0, 1, 2]));
      yield concat(u64(length), json, r.bytes(dataLength));
    }
  }
}

function mutateSafetensors(r: Random, base: Uint8Array): Uint8Array {
  const bytes = base.slice();
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const dataStart = 8 + headerLength;
  switch (r.int(7)) {
    case 0:
      for (let n = 1 + r.int(4); n > 0; n--) bytes[r.int(bytes.length)] ^= 1 << r.int(8);
      return bytes;
    case 1: {
      const header = JSON.parse(decode(bytes.subarray(8, dataStart))) as Record<string, { data_offsets?: number[] }>;
      const boundaries = [0, 1, 4, 7, 8, 9, dataStart - 1, dataStart, dataStart + 1, bytes.length - 1];
      for (const entry of Object.values(header)) {
        for (const offset of entry.data_offsets ?? []) boundaries.push(dataStart + offset - 1, dataStart + offset);
      }
      return bytes.subarray(0, Math.max(0, r.pick(boundaries)));
    }
    case 2: {
      const values = [0n, 1n, 2n, 7n, 8n, 2n ** 31n, 2n ** 32n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n, 100_000_000n, 100_000_001n];
      const length = BigInt(headerLength);
      values.push(length - 1n, length + 1n, BigInt(bytes.length), BigInt(bytes.length - 8), BigInt(bytes.length - 7));
      bytes.set(u64(r.int(4) === 0 ? BigInt(r.int(2 ** 31)) * BigInt(r.int(2 ** 31)) : r.pick(values)));
      return bytes;
    }
    case 3:
      for (let n = 1 + r.int(3); n > 0; n--) {
        bytes[8 + r.int(headerLength)] = r.pick([...encode('{}[]:,"\\0123456789-.eE \x00\x7f\xff')]);
      }
      return bytes;
    case 4: {
      const header = JSON.parse(decode(bytes.subarray(8, dataStart))) as Record<string, Record<string, unknown>>;
      const names = Object.keys(header);
      if (names.length === 0) return bytes;
      const name = r.pick(names);
      if (r.int(4) === 0) header[name] = r.pick(WEIRD_JSON) as Record<string, unknown>;
      else if (name === '__metadata__') header[name] = { key: r.pick(WEIRD_JSON) };
      else if (r.int(3) === 0) delete header[name][r.pick(SAFETENSORS_FIELDS)];
      else header[name][r.pick(SAFETENSORS_FIELDS)] = r.pick([...WEIRD_JSON, ...SAFETENSORS_DTYPES]);
      const json = encode(JSON.stringify(header));
      return concat(u64(BigInt(json.length)), json, bytes.subarray(dataStart));
    }
    case 5: {
      const at = r.int(bytes.length);
      return concat(bytes.subarray(0, at), r.bytes(1 + r.int(3)), bytes.subarray(at));
    }
    default: {
      const at = r.int(bytes.length);
      return concat(bytes.subarray(0, at), bytes.subarray(at + 1 + r.int(8)));
    }
  }
}

const NPY_MAGIC = new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
const NPY_DESCRS = ['<f4', '>f4', '<f8', '>f8', '<i4', '>i8', '|u1', '|b1', '<f2', '|i1', '<U5', '|f4', 'f4', '<i16'];

function npyFile(major: number, header: Uint8Array, data: Uint8Array, headerLength = header.length): Uint8Array {
  const length = new Uint8Array(major === 1 ? 2 : 4);
  const view = new DataView(length.buffer);
  if (major === 1) view.setUint16(0, headerLength & 0xffff, true);
  else view.setUint32(0, headerLength >>> 0, true);
  return concat(NPY_MAGIC, new Uint8Array([major, 0]), length, header, data);
}

const NPY_SIZES: Record<string, number> = { f2: 2, f4: 4, f8: 8, i1: 1, i4: 4, i8: 8, u1: 1, b1: 1 };

/** A header that is mostly well formed, with the length its data should have. */
function randomNpyHeader(r: Random): { header: string; dataLength: number } {
  const shape = randomShape(r);
  const descr = r.pick(NPY_DESCRS);
  const shapeText = r.int(6) === 0 ? r.pick(['(-1,)', '(1.5,)', "('2',)", '[2, 2]', '(2L, 2L)', '()', '(,)', '(2 2)']) :
    shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const entries = [
    `'descr': ${r.int(8) === 0 ? r.pick(['None', "[('x', '<f4')]", '4', "'<f4"]) : `'${descr}'`}`,
    `'fortran_order': ${r.pick(['True', 'False', 'False', '0', 'None'])}`,
    `'shape': ${shapeText}`,
  ];
  if (r.int(10) === 0) entries.splice(r.int(3), 1);
  if (r.int(10) === 0) entries.push(`'extra': ${r.pick(['1', "'x'", '{}', '()'])}`);
  const dataLength = elementCount(shape) * (NPY_SIZES[descr.slice(1)] ?? 4) + (r.int(4) === 0 ? r.pick([-1, 1]) : 0);
  return { header: `{${entries.join(', ')}, }${' '.repeat(r.int(4))}\n`, dataLength: Math.max(0, dataLength) };
}

function* randomNpyFiles(r: Random): Generator<Uint8Array> {
  for (let i = 0; i < CASES; i++) {
    const kind = i % 4;
    const major = r.pick([1, 1, 1, 2, 3, 0, 4]);
    if (kind === 0) {
      yield r.bytes(r.int(48));
    } else if (kind === 1) {
      yield npyFile(major, encode(r.text("{}()[]:,'\"\\0123456789-L TrueFalsNon<>|fiub_", r.int(100))), r.bytes(r.int(16)));
    } else {
      const { header, dataLength } = randomNpyHeader(r);
      const bytes = encode(header);
      const length = kind === 2 ? bytes.length : bytes.length + r.pick([-2, -1, 0, 1, 2, 1000]);
      yield npyFile(major, bytes, r.bytes(dataLength), length);
    }
  }
}

function mutateNpy(r: Random, base: Uint8Array): Uint8Array {
  const bytes = base.slice();
  const view = new DataView(bytes.buffer);
  const major = bytes[6];
  const headerStart = major === 1 ? 10 : 12;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = headerStart + headerLength;
  switch (r.int(7)) {
    case 0:
      for (let n = 1 + r.int(4); n > 0; n--) bytes[r.int(bytes.length)] ^= 1 << r.int(8);
      return bytes;
    case 1: {
      const boundaries = [0, 1, 5, 6, 7, 8, 9, 10, 11, 12, dataStart - 1, dataStart, dataStart + 1, bytes.length - 1];
      return bytes.subarray(0, Math.max(0, r.pick(boundaries) + r.pick([0, 0, -1, 1])));
    }
    case 2: {
      const values = [0, 1, headerLength - 1, headerLength + 1, bytes.length, 0xffff, 0x7fffffff, 0xffffffff];
      const value = r.pick(values) >>> 0;
      if (major === 1) view.setUint16(8, value & 0xffff, true);
      else view.setUint32(8, value, true);
      return bytes;
    }
    case 3:
      bytes[r.pick([6, 7])] = r.pick([0, 1, 2, 3, 4, 255]);
      return bytes;
    case 4:
      for (let n = 1 + r.int(3); n > 0; n--) {
        bytes[headerStart + r.int(headerLength)] = r.pick([...encode("{}()[]:,'\"\\0123456789-L <>|fiTF \x00\x7f\xff")]);
      }
      return bytes;
    case 5: {
      return npyFile(major, encode(randomNpyHeader(r).header), bytes.subarray(dataStart));
    }
    default: {
      const at = r.int(bytes.length);
      return r.int(2) ? concat(bytes.subarray(0, at), r.bytes(1 + r.int(3)), bytes.subarray(at))
        : concat(bytes.subarray(0, at), bytes.subarray(at + 1 + r.int(8)));
    }
  }
}

function* mutations(r: Random, bases: Uint8Array[], mutate: (r: Random, base: Uint8Array) => Uint8Array) {
  for (let i = 0; i < CASES; i++) {
    let bytes = r.pick(bases);
    for (let rounds = 1 + (r.int(4) === 0 ? 1 : 0); rounds > 0; rounds--) {
      try {
        bytes = mutate(r, bytes);
      } catch {
        // A first round can break the structure a second round expects; yield what the first made.
        break;
      }
    }
    yield bytes;
  }
}

const sampleTensors: [string, HostTensor][] = [
  ['f64', { dtype: 'float64', shape: [2], data: new Float64Array([1, -2]) }],
  ['f32', { dtype: 'float32', shape: [2, 3], data: new Float32Array(6).fill(0.5) }],
  ['bf16', { dtype: 'bfloat16', shape: [], data: new Uint16Array([0x3f80]) }],
  ['i64', { dtype: 'int64', shape: [1, 2], data: new BigInt64Array([1n, -1n]) }],
  ['empty', { dtype: 'int32', shape: [0, 2], data: new Int32Array(0) }],
  ['u8', { dtype: 'uint8', shape: [3], data: new Uint8Array([1, 2, 3]) }],
  ['mask', { dtype: 'bool', shape: [2], data: new Uint8Array([1, 0]) }],
];

describe('parsers throw nothing but WeightsFormatError', () => {
  it('readSafetensors on random bytes', () => {
    const result = fuzz(randomSafetensorsFiles(new Random(1)), parseSafetensors);
    expect(result.failures).toEqual([]);
    expect(result.rejected).toBeGreaterThan(CASES * 0.8);
    expect(result.returned).toBeGreaterThan(25);
  });

  it('readSafetensors on mutated valid files', () => {
    const bases = [
      writeSafetensors(sampleTensors, { format: 'pt' }),
      writeSafetensors(sampleTensors.slice(0, 2)),
      writeSafetensors([sampleTensors[4]]),
      fixture('model.safetensors'),
    ];
    const result = fuzz(mutations(new Random(2), bases, mutateSafetensors), parseSafetensors);
    expect(result.failures).toEqual([]);
    expect(result.rejected).toBeGreaterThan(CASES * 0.5);
    expect(result.returned).toBeGreaterThan(25);
  });

  it('readNpy on random bytes', () => {
    const result = fuzz(randomNpyFiles(new Random(3)), parseNpy);
    expect(result.failures).toEqual([]);
    expect(result.rejected).toBeGreaterThan(CASES * 0.8);
    expect(result.returned).toBeGreaterThan(25);
  });

  it('readNpy on mutated valid files', () => {
    const bases = [
      ...sampleTensors.filter(([, t]) => t.dtype !== 'bfloat16').map(([, t]) => writeNpy(t)),
      ...['f4_be', 'i8_be', 'fortran_i4_3d', 'fortran_be_f4', 'scalar_f4', 'v2', 'v3'].map((n) => fixture(`${n}.npy`)),
    ];
    const result = fuzz(mutations(new Random(4), bases, mutateNpy), parseNpy);
    expect(result.failures).toEqual([]);
    expect(result.rejected).toBeGreaterThan(CASES * 0.5);
    expect(result.returned).toBeGreaterThan(25);
  });
});
