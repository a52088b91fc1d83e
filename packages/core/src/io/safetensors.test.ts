import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WeightsFormatError } from '../errors.js';
import type { HostData, HostTensor } from './host-tensor.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));

function plain(data: HostData): (number | string)[] {
  return data instanceof BigInt64Array ? Array.from(data, String) : Array.from(data);
}

/** A safetensors file assembled by hand, so the reader's checks can be hit one at a time. */
function rawFile(header: unknown, data: Uint8Array | number = 0, headerLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

function readError(bytes: Uint8Array): WeightsFormatError {
  try {
    readSafetensors(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(WeightsFormatError);
    return e as WeightsFormatError;
  }
  throw new Error('readSafetensors accepted the file');
}

const f32 = (shape: number[], begin = 0) => ({
  dtype: 'F32', shape, data_offsets: [begin, begin + 4 * shape.reduce((a, b) => a * b, 1)],
});

const everyDType: [string, HostTensor][] = [
  ['f64', { dtype: 'float64', shape: [2], data: new Float64Array([Math.PI, -1e-300]) }],
  ['f32', { dtype: 'float32', shape: [2, 2], data: new Float32Array([0.5, -1.5, 3e38, -0]) }],
  ['f16', { dtype: 'float16', shape: [3], data: new Uint16Array([0x3c00, 0xc000, 0x7bff]) }],
  ['bf16', { dtype: 'bfloat16', shape: [1, 3], data: new Uint16Array([0x3f80, 0xc020, 0x7f80]) }],
  ['i64', { dtype: 'int64', shape: [3], data: new BigInt64Array([-(2n ** 63n), 2n ** 53n + 1n, -1n]) }],
  ['i32', { dtype: 'int32', shape: [2], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1]) }],
  ['i16', { dtype: 'int16', shape: [2], data: new Int16Array([-32768, 32767]) }],
  ['i8', { dtype: 'int8', shape: [3], data: new Int8Array([-128, 0, 127]) }],
  ['u8', { dtype: 'uint8', shape: [3], data: new Uint8Array([0, 128, 255]) }],
  ['bool', { dtype: 'bool', shape: [2], data: new Uint8Array([1, 0]) }],
];

describe('writeSafetensors / readSafetensors round trip', () => {
  it('keeps every dtype, value, shape and the order of the tensors', () => {
    const { tensors, metadata } = readSafetensors(writeSafetensors(new Map(everyDType)));
    expect([...tensors.keys()]).toEqual(everyDType.map(([name]) => name));
    for (const [name, tensor] of everyDType) {
      const back = tensors.get(name)!;
      expect(back.dtype).toBe(tensor.dtype);
      expect(back.shape).toEqual(tensor.shape);
      expect(back.data.constructor).toBe(tensor.data.constructor);
      expect(plain(back.data)).toEqual(plain(tensor.data));
    }
    expect(metadata).toEqual({});
  });

  it('keeps scalars and empty tensors', () => {
    const { tensors } = readSafetensors(writeSafetensors([
      ['scalar', { dtype: 'float32', shape: [], data: new Float32Array([7.5]) }],
      ['empty', { dtype: 'int64', shape: [0, 4], data: new BigInt64Array(0) }],
      ['also.empty', { dtype: 'float16', shape: [3, 0], data: new Uint16Array(0) }],
      ['after', { dtype: 'int8', shape: [1], data: new Int8Array([-3]) }],
    ]));
    expect([...tensors.keys()]).toEqual(['scalar', 'empty', 'also.empty', 'after']);
    expect(tensors.get('scalar')).toEqual({ dtype: 'float32', shape: [], data: new Float32Array([7.5]) });
    expect(tensors.get('empty')).toEqual({ dtype: 'int64', shape: [0, 4], data: new BigInt64Array(0) });
    expect(tensors.get('also.empty')!.shape).toEqual([3, 0]);
    expect(tensors.get('after')!.data).toEqual(new Int8Array([-3]));
  });

  it('keeps metadata, including an empty dict and a file with no tensors', () => {
    const metadata = { format: 'pt', 'convkit.version': '0.1.0', empty: '', unicode: 'ñ → ✓' };
    expect(readSafetensors(writeSafetensors(new Map(), metadata))).toEqual({ tensors: new Map(), metadata });
    expect(readSafetensors(writeSafetensors(new Map(), {})).metadata).toEqual({});
  });

  it('keeps file order for names JavaScript objects would reorder', () => {
    const names = ['b', '10', 'a', '2', '__proto__', 'constructor'];
    const written = writeSafetensors(names.map((name, i): [string, HostTensor] => [
      name, { dtype: 'int32', shape: [1], data: new Int32Array([i]) },
    ]));
    const { tensors } = readSafetensors(written);
    expect([...tensors.keys()]).toEqual(names);
    expect(names.map((name) => tensors.get(name)!.data[0])).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('pads the header with spaces to a multiple of 8 bytes', () => {
    for (const name of ['a', 'ab', 'abc', 'abcd', 'abcde', 'abcdef', 'abcdefg', 'abcdefgh']) {
      const bytes = writeSafetensors([[name, { dtype: 'uint8', shape: [1], data: new Uint8Array([9]) }]]);
      const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect(headerLength % 8).toBe(0);
      const header = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
      expect(header).toMatch(/^\{.*\} *$/);
      expect(header.trimEnd()).toBe(`{"${name}":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`);
      expect(bytes[8 + headerLength]).toBe(9);
    }
  });

  it('writes views into larger buffers and reads files that sit at an odd offset', () => {
    const backing = new Float32Array([1, 2, 3, 4, 5]);
    const written = writeSafetensors([['w', { dtype: 'float32', shape: [2], data: backing.subarray(2, 4) }]]);
    const shifted = new Uint8Array(written.length + 3);
    shifted.set(written, 3);
    const { tensors } = readSafetensors(shifted.subarray(3));
    expect(tensors.get('w')!.data).toEqual(new Float32Array([3, 4]));
  });

  it('returns arrays that do not alias the input bytes', () => {
    const bytes = writeSafetensors([['w', { dtype: 'uint8', shape: [2], data: new Uint8Array([1, 2]) }]]);
    const data = readSafetensors(bytes).tensors.get('w')!.data;
    bytes.fill(0);
    expect(plain(data)).toEqual([1, 2]);
  });
});

describe('readSafetensors on a file written by hand in Python', () => {
  const expected = JSON.parse(new TextDecoder().decode(fixture('safetensors_expected.json'))) as {
    metadata: Record<string, string>;
    tensors: { name: string; dtype: string; shape: number[]; values: (number | string)[] }[];
  };
  const hostDType: Record<string, string> = {
    F64: 'float64', F32: 'float32', F16: 'float16', BF16: 'bfloat16', I64: 'int64', I32: 'int32',
    I16: 'int16', I8: 'int8', U8: 'uint8', BOOL: 'bool',
  };
  const { tensors, metadata } = readSafetensors(fixture('model.safetensors'));

  it('reads the metadata', () => {
    expect(metadata).toEqual(expected.metadata);
  });

  it('lists the tensors in file order, not the header key order', () => {
    expect([...tensors.keys()]).toEqual(expected.tensors.map((t) => t.name));
  });

  it.each(expected.tensors.map((t) => [t.name, t] as const))('decodes %s', (name, t) => {
    const tensor = tensors.get(name)!;
    expect(tensor.dtype).toBe(hostDType[t.dtype]);
    expect(tensor.shape).toEqual(t.shape);
    expect(plain(tensor.data)).toEqual(t.values);
    expect(tensor.data.byteOffset % tensor.data.BYTES_PER_ELEMENT).toBe(0);
  });

  it('writes the same tensors back to a file it reads identically', () => {
    expect(readSafetensors(writeSafetensors(tensors, metadata))).toEqual({ tensors, metadata });
  });
});

describe('readSafetensors rejects', () => {
  it('a file shorter than the 8-byte header length', () => {
    expect(readError(new Uint8Array(5)).message).toBe(
      'safetensors file is 5 bytes long, too short for its 8-byte header length',
    );
    expect(readError(new Uint8Array(0)).message).toContain('0 bytes long');
  });

  it('a header length over 100 MB', () => {
    expect(readError(rawFile({}, 0, 100_000_001n)).message).toBe(
      'safetensors header length 100000001 exceeds the 100000000-byte limit',
    );
    expect(readError(rawFile({}, 0, 2n ** 64n - 1n)).message).toContain(`header length ${2n ** 64n - 1n} exceeds`);
  });

  it('a header length that overruns the file', () => {
    expect(readError(rawFile('{}', 502, 99_999_999n)).message).toBe(
      'safetensors header length 99999999 overruns the 512-byte file',
    );
  });

  it('a header that is not UTF-8 or not JSON', () => {
    expect(readError(rawFile('{}', 0, 0n)).message).toMatch(/^safetensors header is not valid JSON/);
    const notUtf8 = rawFile('{"a":1}');
    notUtf8[10] = 0xff;
    expect(readError(notUtf8).message).toBe('safetensors header is not valid UTF-8');
    expect(readError(rawFile('{"a": {"dtype": "F32",')).message).toMatch(/^safetensors header is not valid JSON: /);
  });

  it('a header that is JSON but not an object', () => {
    expect(readError(rawFile('[1, 2]')).message).toBe('safetensors header is JSON [1, 2], not an object');
    expect(readError(rawFile('null')).message).toBe('safetensors header is JSON null, not an object');
  });

  it('entries that are not objects or miss a field', () => {
    expect(readError(rawFile({ x: [1, 2] })).message).toBe(
      "safetensors tensor 'x' has header entry [1, 2], not an object",
    );
    expect(readError(rawFile({ x: null })).message).toBe("safetensors tensor 'x' has header entry null, not an object");
    for (const field of ['dtype', 'shape', 'data_offsets']) {
      const entry: Record<string, unknown> = f32([1]);
      delete entry[field];
      expect(readError(rawFile({ x: entry }, 4)).message).toBe(
        `safetensors tensor 'x' has no '${field}' in its header entry`,
      );
    }
  });

  it('dtypes it cannot read, naming the tensor and the dtype', () => {
    for (const dtype of ['F8_E4M3', 'F8_E5M2', 'U16', 'U32', 'U64', 'C64', 'f32', '']) {
      const message = readError(rawFile({ 'fc.weight': { ...f32([1]), dtype } }, 4)).message;
      expect(message).toMatch(new RegExp(`^safetensors tensor 'fc.weight' has unsupported dtype '${dtype}' \\(supported: F64, `));
    }
    expect(readError(rawFile({ x: { ...f32([1]), dtype: 32 } }, 4)).message).toBe(
      "safetensors tensor 'x' has dtype 32, not a string",
    );
    expect(readError(rawFile({ toString: { ...f32([1]), dtype: 'toString' } }, 4)).message).toContain(
      "unsupported dtype 'toString'",
    );
  });

  it('shapes with negative, fractional or non-numeric dims', () => {
    for (const shape of [[2, -1], [1.5], ['2'], [null], [2 ** 53], 6, null]) {
      const message = readError(rawFile({ x: { ...f32([6]), shape } }, 24)).message;
      expect(message).toBe(
        `safetensors tensor 'x' has shape ${JSON.stringify(shape).replace(/,/g, ', ')}; ` +
          'a shape must be a list of non-negative integers',
      );
    }
  });

  it('data_offsets that are not two ordered non-negative integers', () => {
    for (const offsets of [[0], [0, 4, 8], [-4, 0], [0, 4.5], ['0', '4'], { begin: 0 }]) {
      expect(readError(rawFile({ x: { ...f32([1]), data_offsets: offsets } }, 4)).message).toMatch(
        /^safetensors tensor 'x' has data_offsets .*; they must be two non-negative integers \[begin, end\]$/,
      );
    }
    expect(readError(rawFile({ x: { dtype: 'U8', shape: [0], data_offsets: [4, 0] } }, 4)).message).toBe(
      "safetensors tensor 'x' has data_offsets [4, 0], which end before they begin",
    );
  });

  it('a shape that does not match the size of the data', () => {
    expect(readError(rawFile({ x: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, 20)).message).toBe(
      "safetensors tensor 'x' has shape [2, 3] (6 values of float32 = 24 bytes) but data_offsets span 20 bytes",
    );
    expect(readError(rawFile({ s: { dtype: 'BF16', shape: [], data_offsets: [0, 0] } })).message).toBe(
      "safetensors tensor 's' has shape [] (1 values of bfloat16 = 2 bytes) but data_offsets span 0 bytes",
    );
  });

  it('overlapping tensors', () => {
    const header = { a: f32([4], 0), b: f32([2], 8) };
    expect(readError(rawFile(header, 24)).message).toBe(
      "safetensors tensor 'b' data_offsets [8, 16] overlaps tensor 'a', which ends at 16",
    );
  });

  it('holes between, before or after the tensors', () => {
    expect(readError(rawFile({ a: f32([1], 0), b: f32([1], 8) }, 12)).message).toBe(
      "safetensors data has a hole of 4 bytes before tensor 'b' (data_offsets [8, 12]; the previous data ends at 4)",
    );
    expect(readError(rawFile({ a: f32([1], 2) }, 6)).message).toBe(
      "safetensors data has a hole of 2 bytes before tensor 'a' (data_offsets [2, 6]; the previous data ends at 0)",
    );
    expect(readError(rawFile({ a: f32([1], 0) }, 7)).message).toBe(
      "safetensors file has 3 bytes after the end of its last tensor's data",
    );
  });

  it('a file that ends inside a tensor', () => {
    const header = { 'fc.bias': f32([2], 0), 'fc.weight': f32([1024], 8), last: f32([1], 4104) };
    expect(readError(rawFile(header, 8 + 1024)).message).toBe(
      "safetensors file ends after 1024 of 4096 bytes of tensor 'fc.weight'",
    );
    expect(readError(rawFile(header, 4)).message).toBe(
      "safetensors file ends after 4 of 8 bytes of tensor 'fc.bias'",
    );
    expect(readError(rawFile(header, 4104)).message).toBe(
      "safetensors file ends after 0 of 4 bytes of tensor 'last'",
    );
  });

  it('__metadata__ that is not a dict of strings', () => {
    expect(readError(rawFile({ __metadata__: ['a'] })).message).toBe(
      'safetensors __metadata__ is ["a"], not an object',
    );
    expect(readError(rawFile({ __metadata__: { format: 'pt', epoch: 3 } })).message).toBe(
      "safetensors __metadata__ value for 'epoch' is 3, not a string",
    );
    expect(readError(rawFile({ __metadata__: { nested: { a: 'b' } } })).message).toBe(
      `safetensors __metadata__ value for 'nested' is {"a": "b"}, not a string`,
    );
  });

  it('but reads a null __metadata__ as none, as the reference implementation does', () => {
    expect(readSafetensors(rawFile({ __metadata__: null })).metadata).toEqual({});
  });

  it('with short messages even for huge or deeply nested values', () => {
    const deep = `{"x": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const message = readError(rawFile(deep)).message;
    expect(message).toBe("safetensors tensor 'x' has header entry [[[...]]], not an object");
    expect(readError(rawFile({ x: { ...f32([1]), dtype: 'X'.repeat(10_000) } }, 4)).message.length).toBeLessThan(10_200);
    expect(readError(rawFile({ x: { ...f32([1]), shape: Array(1000).fill(-1) } }, 4)).message.length).toBeLessThan(200);
  });
});

describe('writeSafetensors rejects', () => {
  const write = (tensor: HostTensor, name = 'w') => () => writeSafetensors([[name, tensor]]);

  it('data whose length does not match the shape, naming the tensor', () => {
    expect(write({ dtype: 'float32', shape: [2, 3], data: new Float32Array(5) }, 'fc.weight')).toThrow(
      new WeightsFormatError("safetensors tensor 'fc.weight' has shape [2, 3] (6 values) but its data holds 5 values"),
    );
  });

  it('data of another array type than the dtype', () => {
    expect(write({ dtype: 'float32', shape: [2], data: new Float64Array(2) })).toThrow(
      "safetensors tensor 'w' has dtype float32 but its data is a Float64Array",
    );
    expect(write({ dtype: 'int64', shape: [2], data: new Int32Array(2) })).toThrow('its data is a Int32Array');
  });

  it('bad shapes and dtypes from untyped callers', () => {
    expect(write({ dtype: 'float32', shape: [-1], data: new Float32Array(0) })).toThrow(
      "safetensors tensor 'w' has shape [-1]; dims must be non-negative integers",
    );
    expect(write({ dtype: 'complex64' as never, shape: [1], data: new Float32Array(1) })).toThrow(
      "safetensors tensor 'w' has dtype 'complex64', which safetensors cannot store",
    );
  });

  it('duplicate names, the reserved name and non-string metadata', () => {
    const t: HostTensor = { dtype: 'uint8', shape: [], data: new Uint8Array(1) };
    expect(() => writeSafetensors([['a', t], ['a', t]])).toThrow("safetensors tensor name 'a' appears twice");
    expect(() => writeSafetensors([['__metadata__', t]])).toThrow(
      "safetensors cannot hold a tensor named '__metadata__'",
    );
    expect(() => writeSafetensors([], { epoch: 3 as never })).toThrow(
      "safetensors __metadata__ value for 'epoch' is 3, not a string",
    );
  });
});
