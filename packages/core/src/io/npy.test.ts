import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WeightsFormatError } from '../errors.js';
import type { HostData, HostDType, HostTensor } from './host-tensor.js';
import { readNpy, writeNpy } from './npy.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));

function plain(data: HostData): (number | string)[] {
  return data instanceof BigInt64Array ? Array.from(data, String) : Array.from(data);
}

/** A .npy file assembled by hand, so the reader's checks can be hit one at a time. */
function rawNpy(
  header: string,
  data: Uint8Array | number = 0,
  { major = 1, minor = 0, headerLength }: { major?: number; minor?: number; headerLength?: number } = {},
): Uint8Array {
  const text = new TextEncoder().encode(header);
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const start = major === 1 ? 10 : 12;
  const out = new Uint8Array(start + text.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, minor]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, headerLength ?? text.length, true);
  else view.setUint32(8, headerLength ?? text.length, true);
  out.set(text, start);
  out.set(body, start + text.length);
  return out;
}

const dict = (descr: string, shape: string, fortran = 'False') =>
  `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }\n`;

function readError(bytes: Uint8Array): WeightsFormatError {
  try {
    readNpy(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(WeightsFormatError);
    return e as WeightsFormatError;
  }
  throw new Error('readNpy accepted the file');
}

const headerText = (bytes: Uint8Array) => new TextDecoder().decode(bytes.subarray(10, 10 + bytes[8] + 256 * bytes[9]));

describe('writeNpy / readNpy round trip', () => {
  const tensors: HostTensor[] = [
    { dtype: 'float64', shape: [2], data: new Float64Array([Math.E, -1e-300]) },
    { dtype: 'float32', shape: [2, 2], data: new Float32Array([0.5, -1.5, 3e38, -0]) },
    { dtype: 'float16', shape: [3], data: new Uint16Array([0x3c00, 0xc000, 0x7bff]) },
    { dtype: 'int64', shape: [3, 1], data: new BigInt64Array([-(2n ** 63n), 2n ** 53n + 1n, -1n]) },
    { dtype: 'int32', shape: [2], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1]) },
    { dtype: 'int16', shape: [2], data: new Int16Array([-32768, 32767]) },
    { dtype: 'int8', shape: [1, 3], data: new Int8Array([-128, 0, 127]) },
    { dtype: 'uint8', shape: [3], data: new Uint8Array([0, 128, 255]) },
    { dtype: 'bool', shape: [2, 1, 1], data: new Uint8Array([1, 0]) },
  ];

  it.each(tensors.map((t) => [t.dtype, t] as const))('keeps %s', (_, tensor) => {
    const back = readNpy(writeNpy(tensor));
    expect(back.dtype).toBe(tensor.dtype);
    expect(back.shape).toEqual(tensor.shape);
    expect(back.data.constructor).toBe(tensor.data.constructor);
    expect(plain(back.data)).toEqual(plain(tensor.data));
  });

  it('keeps scalars and empty arrays', () => {
    const scalar: HostTensor = { dtype: 'float32', shape: [], data: new Float32Array([7.5]) };
    expect(readNpy(writeNpy(scalar))).toEqual(scalar);
    const empty: HostTensor = { dtype: 'int64', shape: [0, 4], data: new BigInt64Array(0) };
    expect(readNpy(writeNpy(empty))).toEqual(empty);
  });

  it('writes a NumPy-style v1.0 header with the data 64-byte aligned', () => {
    const cases: [HostTensor, string][] = [
      [{ dtype: 'float32', shape: [2, 3], data: new Float32Array(6) }, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"],
      [{ dtype: 'int64', shape: [5], data: new BigInt64Array(5) }, "{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }"],
      [{ dtype: 'bool', shape: [], data: new Uint8Array(1) }, "{'descr': '|b1', 'fortran_order': False, 'shape': (), }"],
      [{ dtype: 'uint8', shape: [1, 2], data: new Uint8Array(2) }, "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2), }"],
    ];
    for (const [tensor, expected] of cases) {
      const bytes = writeNpy(tensor);
      expect([...bytes.subarray(0, 8)]).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
      const header = headerText(bytes);
      expect(header).toMatch(/ *\n$/);
      expect(header.trimEnd()).toBe(expected);
      expect((10 + header.length) % 64).toBe(0);
      expect(bytes.length).toBe(10 + header.length + tensor.data.byteLength);
    }
  });

  it('switches to version 2.0 when the header outgrows 16 bits, as NumPy does', () => {
    const shape = new Array<number>(25_000).fill(1);
    const bytes = writeNpy({ dtype: 'int8', shape, data: new Int8Array([-5]) });
    expect([bytes[6], bytes[7]]).toEqual([2, 0]);
    const headerLength = new DataView(bytes.buffer).getUint32(8, true);
    expect((12 + headerLength) % 64).toBe(0);
    expect(readNpy(bytes)).toEqual({ dtype: 'int8', shape, data: new Int8Array([-5]) });
  });

  it('writes views into larger buffers and reads files that sit at an odd offset', () => {
    const backing = new Int32Array([1, 2, 3, 4, 5]);
    const written = writeNpy({ dtype: 'int32', shape: [2], data: backing.subarray(1, 3) });
    const shifted = new Uint8Array(written.length + 1);
    shifted.set(written, 1);
    expect(readNpy(shifted.subarray(1)).data).toEqual(new Int32Array([2, 3]));
  });
});

describe('readNpy on files written by numpy.save', () => {
  const expected = JSON.parse(new TextDecoder().decode(fixture('npy_expected.json'))) as Record<
    string,
    { shape: number[]; values: (number | string)[] }
  >;
  const dtypes: Record<string, HostDType> = {
    f4_le: 'float32', f4_be: 'float32', f8_be: 'float64', i4_le: 'int32', i4_be: 'int32', i8_le: 'int64',
    i8_be: 'int64', u1: 'uint8', b1: 'bool', f2: 'float16', scalar_f4: 'float32', empty_f4: 'float32',
    fortran_f8: 'float64', fortran_i4_3d: 'int32', fortran_be_f4: 'float32', v2: 'float32', v3: 'float32',
  };

  it('covers every fixture', () => {
    expect(Object.keys(dtypes).sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(dtypes))('decodes %s.npy', (name, dtype) => {
    const tensor = readNpy(fixture(`${name}.npy`));
    expect(tensor.dtype).toBe(dtype);
    expect(tensor.shape).toEqual(expected[name].shape);
    expect(plain(tensor.data)).toEqual(expected[name].values);
  });

  it('writes what it read so that it reads back the same', () => {
    for (const name of Object.keys(dtypes)) {
      const tensor = readNpy(fixture(`${name}.npy`));
      expect(readNpy(writeNpy(tensor))).toEqual(tensor);
    }
  });
});

describe('readNpy header syntax', () => {
  const f4 = new Uint8Array(new Float32Array([1, 2]).buffer);

  it('accepts double quotes, Python 2 long integers, any key order and no trailing comma', () => {
    for (const header of [
      `{"descr": "<f4", "fortran_order": False, "shape": (2,)}`,
      `{'shape': (2L,), 'fortran_order': False, 'descr': '<f4'}`,
      `{ 'descr' : '<f4' ,\t'fortran_order':False,'shape':[2] , }   \n`,
    ]) {
      expect(readNpy(rawNpy(header, f4))).toEqual({ dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) });
    }
  });

  it('reads any byte order for one-byte dtypes', () => {
    for (const descr of ['|u1', '<u1', '>u1']) {
      expect(readNpy(rawNpy(dict(descr, '(2,)'), new Uint8Array([3, 4]))).data).toEqual(new Uint8Array([3, 4]));
    }
  });

  it('reads a fortran-order array whose rank makes the order irrelevant', () => {
    expect(readNpy(rawNpy(dict('<f4', '(2,)', 'True'), f4)).data).toEqual(new Float32Array([1, 2]));
    expect(readNpy(rawNpy(dict('<f4', '(0, 3)', 'True'))).shape).toEqual([0, 3]);
  });
});

describe('readNpy rejects', () => {
  const valid = fixture('f4_le.npy');

  it('a file without the magic string', () => {
    const message = 'not a .npy file: it does not start with the magic string \\x93NUMPY';
    expect(readError(new Uint8Array(0)).message).toBe(message);
    expect(readError(new TextEncoder().encode('PK\x03\x04 a zip file')).message).toBe(message);
    expect(readError(valid.subarray(0, 5)).message).toBe(message);
  });

  it('a file that ends inside its preamble', () => {
    expect(readError(valid.subarray(0, 7)).message).toBe('npy file ends after 7 bytes, inside its version');
    expect(readError(valid.subarray(0, 9)).message).toBe(
      'npy file ends after 9 bytes, inside its 2-byte header length',
    );
    expect(readError(rawNpy('', 0, { major: 2 }).subarray(0, 11)).message).toBe(
      'npy file ends after 11 bytes, inside its 4-byte header length',
    );
  });

  it('versions other than 1.0, 2.0 and 3.0', () => {
    for (const [major, minor] of [[0, 0], [4, 0], [1, 1], [255, 255]]) {
      expect(readError(rawNpy(dict('<f4', '()'), 4, { major, minor })).message).toBe(
        `npy format version ${major}.${minor} is not supported (only 1.0, 2.0 and 3.0)`,
      );
    }
  });

  it('a header length that overruns the file', () => {
    expect(readError(rawNpy(dict('<f4', '()'), 4, { headerLength: 1000 })).message).toBe(
      `npy header length 1000 overruns the ${10 + dict('<f4', '()').length + 4}-byte file`,
    );
    expect(readError(rawNpy('{}', 0, { major: 2, headerLength: 0xffffffff })).message).toContain(
      'npy header length 4294967295 overruns',
    );
  });

  it('headers that are not a Python dict literal', () => {
    const cases: [string, string][] = [
      ['', 'expected a value at character 0'],
      ["{'descr': '<f4'", 'expected , or } at character 15'],
      ["{'descr: '<f4'}", 'expected : at character 10'],
      ["{'descr': '<f4', 'descr': '<f4'}", "key 'descr' appears twice"],
      ["{descr: '<f4'}", 'expected a string key or } at character 1'],
      ["{'descr': <f4}", 'expected a value at character 10'],
      ["{'descr': 'a\\nb'}", 'unsupported escape in a string'],
      ["{'shape': (1, 2}", 'expected , or ) at character 15'],
      ["{'descr': 1.5}", 'expected , or } at character 11'],
      ["{} {}", 'unexpected text after the dict at character 3'],
      [`{'a': ${'('.repeat(40)}`, 'nesting deeper than 16 levels'],
      ["{'descr': 'unterminated", 'unterminated string'],
    ];
    for (const [header, problem] of cases) {
      const message = readError(rawNpy(header)).message;
      expect(message).toMatch(/^npy header is not a Python dict literal: /);
      expect(message).toContain(problem);
    }
  });

  it('headers with the wrong keys or values', () => {
    const cases: [string, string][] = [
      ["('<f4', False, ())", "npy header is ('<f4', False, ()), not a dict"],
      ["{'descr': '<f4', 'shape': ()}", "npy header has keys 'descr', 'shape'; it must have exactly 'descr', 'fortran_order' and 'shape'"],
      ["{}", "npy header has keys (none); it must have exactly 'descr', 'fortran_order' and 'shape'"],
      [`{'descr': '<f4', 'fortran_order': False, 'shape': (), 'extra': 1}`, "has keys 'descr', 'fortran_order', 'shape', 'extra'"],
      [dict('<f4', '()', '0'), "npy header's fortran_order is 0, not True or False"],
      [dict('<f4', '()', 'None'), "npy header's fortran_order is None, not True or False"],
      [dict('<f4', '(2, -1)'), "npy header's shape is (2, -1), not a tuple of non-negative integers"],
      [dict('<f4', "('2',)"), "npy header's shape is ('2',), not a tuple of non-negative integers"],
      [dict('<f4', '12'), "npy header's shape is 12, not a tuple of non-negative integers"],
      ["{'descr': None, 'fortran_order': False, 'shape': ()}", "npy header's descr is None, not a dtype string"],
      [dict('<f4', '(99999999999999999999,)'), "npy header's shape is (100000000000000000000,), not a tuple"],
    ];
    for (const [header, message] of cases) expect(readError(rawNpy(header)).message).toContain(message);
  });

  it('unsupported dtypes, naming them', () => {
    for (const descr of ['<U5', '<c8', '|f4', '=f4', '<f16', 'O', '<M8[ns]', '<u4', '<b2', 'f4']) {
      expect(readError(rawNpy(dict(descr, '()'), 16)).message).toBe(
        `npy dtype '${descr}' is not supported (supported: f2, f4, f8, i1, i2, i4, i8, u1, b1, with '<' or '>' byte order)`,
      );
    }
    const structured = `{'descr': [('x', '<f4'), ('y', '<i4')], 'fortran_order': False, 'shape': (2,), }`;
    expect(readError(rawNpy(structured, 16)).message).toBe(
      "npy dtype (('x', '<f4'), ('y', '<i4')) is not supported: structured dtypes cannot be read",
    );
  });

  it('a file that ends inside the data', () => {
    expect(readError(valid.subarray(0, valid.length - 3)).message).toBe('npy file ends after 21 of 24 data bytes');
    expect(readError(rawNpy(dict('<i8', '(1000, 1000)'), 40)).message).toBe(
      'npy file ends after 40 of 8000000 data bytes',
    );
  });

  it('bytes after the data', () => {
    const longer = new Uint8Array(valid.length + 5);
    longer.set(valid);
    expect(readError(longer).message).toBe('npy file has 5 bytes after the 24 data bytes of its [2, 3] <f4 array');
  });

  it('a version 3.0 header that is not UTF-8', () => {
    const bytes = rawNpy(dict('|u1', '()'), 1, { major: 3 });
    bytes[15] = 0xc3;
    expect(readError(bytes).message).toBe('npy 3.0 header is not valid UTF-8');
  });
});

describe('writeNpy rejects', () => {
  it('bfloat16, which NumPy has no dtype for', () => {
    expect(() => writeNpy({ dtype: 'bfloat16', shape: [1], data: new Uint16Array(1) })).toThrow(
      new WeightsFormatError('npy has no bfloat16 dtype; convert the tensor to float32 before writing it'),
    );
  });

  it('data that does not match the shape or the dtype', () => {
    expect(() => writeNpy({ dtype: 'float32', shape: [2, 3], data: new Float32Array(5) })).toThrow(
      'npy tensor has shape [2, 3] (6 values) but its data holds 5 values',
    );
    expect(() => writeNpy({ dtype: 'int64', shape: [1], data: new Float64Array(1) })).toThrow(
      'npy tensor has dtype int64 but its data is a Float64Array',
    );
    expect(() => writeNpy({ dtype: 'int8', shape: [1.5], data: new Int8Array(1) })).toThrow(
      'npy tensor has shape [1.5]; dims must be non-negative integers',
    );
  });
});

describe('inputs that are Node Buffers', () => {
  it('reads a small file from a pooled Buffer (non-zero byteOffset, slice() shares memory)', async () => {
    const { Buffer } = await import('node:buffer');
    const file = writeNpy({ dtype: 'float32', shape: [3], data: new Float32Array([1.5, -2, 3.25]) });
    const pooled = Buffer.from(file);
    expect(pooled.byteOffset).toBeGreaterThan(0);
    expect(Array.from(readNpy(pooled).data as Float32Array)).toEqual([1.5, -2, 3.25]);
    expect(Array.from(readSafetensors(Buffer.from(writeSafetensors([['t', { dtype: 'float32', shape: [3], data: new Float32Array([1.5, -2, 3.25]) }]]))).tensors.get('t')!.data as Float32Array)).toEqual([1.5, -2, 3.25]);
  });
});
