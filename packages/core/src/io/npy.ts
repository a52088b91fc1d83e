import { WeightsFormatError } from '../errors.js';
import {
  bytesPerElement, elementCount, hostDataFromBytes, isHostDataOf, shapeToString, writeHostDataBytes,
  type HostDType, type HostTensor,
} from './host-tensor.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** NumPy aligns the data of the files it writes to this many bytes. */
const DATA_ALIGNMENT = 64;

/** Deeper nesting never occurs in a header NumPy writes; the limit keeps the parser off the stack's end. */
const MAX_HEADER_NESTING = 16;

const DESCR_DTYPES: Readonly<Record<string, HostDType>> = {
  f2: 'float16', f4: 'float32', f8: 'float64', i1: 'int8', i2: 'int16', i4: 'int32', i8: 'int64', u1: 'uint8',
  b1: 'bool',
};

const HEADER_KEYS = ['descr', 'fortran_order', 'shape'];

type PyLiteral = string | number | boolean | null | PyLiteral[] | Map<string, PyLiteral>;

export function readNpy(bytes: Uint8Array): HostTensor {
  if (bytes.length < MAGIC.length || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new WeightsFormatError('not a .npy file: it does not start with the magic string \\x93NUMPY');
  }
  if (bytes.length < 8) throw new WeightsFormatError(`npy file ends after ${bytes.length} bytes, inside its version`);
  const major = bytes[6];
  const minor = bytes[7];
  if (major < 1 || major > 3 || minor !== 0) {
    throw new WeightsFormatError(`npy format version ${major}.${minor} is not supported (only 1.0, 2.0 and 3.0)`);
  }
  const lengthSize = major === 1 ? 2 : 4;
  const headerStart = 8 + lengthSize;
  if (bytes.length < headerStart) {
    throw new WeightsFormatError(
      `npy file ends after ${bytes.length} bytes, inside its ${lengthSize}-byte header length`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) {
    throw new WeightsFormatError(`npy header length ${headerLength} overruns the ${bytes.length}-byte file`);
  }
  const { descr, fortranOrder, shape } = checkHeader(decodeHeader(bytes.subarray(headerStart, dataStart), major));
  const { dtype, littleEndian } = parseDescr(descr);

  const itemSize = bytesPerElement(dtype);
  const byteLength = elementCount(shape) * itemSize;
  const available = bytes.length - dataStart;
  if (available < byteLength) {
    throw new WeightsFormatError(`npy file ends after ${available} of ${byteLength} data bytes`);
  }
  if (available > byteLength) {
    throw new WeightsFormatError(
      `npy file has ${available - byteLength} bytes after the ${byteLength} data bytes of its ` +
        `${shapeToString(shape)} ${descr} array`,
    );
  }
  let raw = bytes.subarray(dataStart);
  if (fortranOrder && shape.length > 1) raw = fortranToC(raw, shape, itemSize);
  return { dtype, shape, data: hostDataFromBytes(dtype, raw, littleEndian) };
}

export function writeNpy(t: HostTensor): Uint8Array {
  const { dtype, shape, data } = t;
  if (dtype === 'bfloat16') {
    throw new WeightsFormatError('npy has no bfloat16 dtype; convert the tensor to float32 before writing it');
  }
  const descr = Object.entries(DESCR_DTYPES).find(([, d]) => d === dtype)?.[0];
  if (descr === undefined) throw new WeightsFormatError(`npy cannot store dtype '${String(dtype)}'`);
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    const shown = Array.isArray(shape) ? shapeToString(shape) : String(shape);
    throw new WeightsFormatError(`npy tensor has shape ${shown}; dims must be non-negative integers`);
  }
  if (!isHostDataOf(dtype, data)) {
    throw new WeightsFormatError(`npy tensor has dtype ${dtype} but its data is a ${data[Symbol.toStringTag]}`);
  }
  const count = elementCount(shape);
  if (data.length !== count) {
    throw new WeightsFormatError(
      `npy tensor has shape ${shapeToString(shape)} (${count} values) but its data holds ${data.length} values`,
    );
  }

  const byteOrder = bytesPerElement(dtype) === 1 ? '|' : '<';
  const shapeRepr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${byteOrder}${descr}', 'fortran_order': False, 'shape': ${shapeRepr}, }`;
  let major = 1;
  let headerStart = 10;
  let header = padHeader(dict, headerStart);
  // Version 1.0 stores the header length in 16 bits; NumPy moves to 2.0 only when that overflows.
  if (header.length > 0xffff) {
    major = 2;
    headerStart = 12;
    header = padHeader(dict, headerStart);
  }

  const out = new Uint8Array(headerStart + header.length + data.byteLength);
  out.set(MAGIC);
  out[6] = major;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), headerStart);
  writeHostDataBytes(data, out, headerStart + header.length, true);
  return out;
}

function padHeader(dict: string, headerStart: number): string {
  const padding = (DATA_ALIGNMENT - ((headerStart + dict.length + 1) % DATA_ALIGNMENT)) % DATA_ALIGNMENT;
  return `${dict}${' '.repeat(padding)}\n`;
}

function decodeHeader(bytes: Uint8Array, major: number): string {
  if (major === 3) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new WeightsFormatError('npy 3.0 header is not valid UTF-8');
    }
  }
  // Versions 1.0 and 2.0 are latin-1; TextDecoder's 'latin1' is really windows-1252, so map bytes directly.
  let text = '';
  for (let i = 0; i < bytes.length; i += 4096) {
    text += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return text;
}

function checkHeader(text: string): { descr: PyLiteral; fortranOrder: boolean; shape: number[] } {
  const header = new HeaderParser(text).parse();
  if (!(header instanceof Map)) {
    throw new WeightsFormatError(`npy header is ${describe(header)}, not a dict`);
  }
  const keys = [...header.keys()];
  if (keys.length !== HEADER_KEYS.length || !HEADER_KEYS.every((k) => header.has(k))) {
    throw new WeightsFormatError(
      `npy header has keys ${keys.map((k) => `'${k}'`).join(', ') || '(none)'}; ` +
        `it must have exactly 'descr', 'fortran_order' and 'shape'`,
    );
  }
  const fortranOrder = header.get('fortran_order');
  if (typeof fortranOrder !== 'boolean') {
    throw new WeightsFormatError(`npy header's fortran_order is ${describe(fortranOrder)}, not True or False`);
  }
  const shape = header.get('shape');
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    throw new WeightsFormatError(`npy header's shape is ${describe(shape)}, not a tuple of non-negative integers`);
  }
  return { descr: header.get('descr') as PyLiteral, fortranOrder, shape: shape as number[] };
}

function parseDescr(descr: PyLiteral): { dtype: HostDType; littleEndian: boolean } {
  if (Array.isArray(descr)) {
    throw new WeightsFormatError(`npy dtype ${describe(descr)} is not supported: structured dtypes cannot be read`);
  }
  if (typeof descr !== 'string') {
    throw new WeightsFormatError(`npy header's descr is ${describe(descr)}, not a dtype string`);
  }
  const match = /^([<>|])([a-z]\d+)$/.exec(descr);
  const dtype = match && Object.hasOwn(DESCR_DTYPES, match[2]) ? DESCR_DTYPES[match[2]] : undefined;
  if (!match || dtype === undefined || (match[1] === '|' && bytesPerElement(dtype) > 1)) {
    throw new WeightsFormatError(
      `npy dtype '${descr}' is not supported (supported: ${Object.keys(DESCR_DTYPES).join(', ')}, ` +
        `with '<' or '>' byte order)`,
    );
  }
  return { dtype, littleEndian: match[1] !== '>' };
}

/** Reorders the elements of a column-major array into row-major order. */
function fortranToC(src: Uint8Array, shape: number[], itemSize: number): Uint8Array {
  const rank = shape.length;
  const strides: number[] = [];
  let stride = 1;
  for (const dim of shape) {
    strides.push(stride);
    stride *= dim;
  }
  const count = elementCount(shape);
  const out = new Uint8Array(src.length);
  const index = new Array<number>(rank).fill(0);
  let from = 0;
  for (let to = 0; to < count; to++) {
    for (let b = 0; b < itemSize; b++) out[to * itemSize + b] = src[from * itemSize + b];
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      from += strides[d];
      if (index[d] < shape[d]) break;
      from -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
  return out;
}

/** Parses the subset of Python literal syntax that NumPy writes: dicts, tuples, lists, str, int, bool, None. */
class HeaderParser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parse(): PyLiteral {
    const value = this.value(0);
    this.skipSpace();
    if (this.pos < this.text.length) this.fail('unexpected text after the dict');
    return value;
  }

  private value(depth: number): PyLiteral {
    if (depth > MAX_HEADER_NESTING) this.fail(`nesting deeper than ${MAX_HEADER_NESTING} levels`);
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === '{') return this.dict(depth);
    if (c === '(') return this.sequence(')', depth);
    if (c === '[') return this.sequence(']', depth);
    if (c === "'" || c === '"') return this.string();
    const token = /-?\d+L?|True|False|None/y;
    token.lastIndex = this.pos;
    const match = token.exec(this.text);
    if (!match) this.fail('expected a value');
    this.pos = token.lastIndex;
    const word = match[0];
    if (word === 'True') return true;
    if (word === 'False') return false;
    if (word === 'None') return null;
    // Headers written by Python 2 mark long integers with an L suffix.
    return Number(word.endsWith('L') ? word.slice(0, -1) : word);
  }

  private dict(depth: number): Map<string, PyLiteral> {
    const map = new Map<string, PyLiteral>();
    this.pos++;
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === '}') break;
      if (this.text[this.pos] !== "'" && this.text[this.pos] !== '"') this.fail('expected a string key or }');
      const key = this.string();
      if (map.has(key)) this.fail(`key '${key}' appears twice`);
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail('expected :');
      this.pos++;
      map.set(key, this.value(depth + 1));
      if (!this.separator('}')) break;
    }
    this.pos++;
    return map;
  }

  private sequence(close: string, depth: number): PyLiteral[] {
    const items: PyLiteral[] = [];
    this.pos++;
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) break;
      items.push(this.value(depth + 1));
      if (!this.separator(close)) break;
    }
    this.pos++;
    return items;
  }

  /** Consumes a comma (true: more items may follow) or stops before `close` (false). */
  private separator(close: string): boolean {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === ',') {
      this.pos++;
      return true;
    }
    if (c !== close) this.fail(`expected , or ${close}`);
    return false;
  }

  private string(): string {
    const quote = this.text[this.pos++];
    let value = '';
    for (;;) {
      const c = this.text[this.pos++];
      if (c === undefined) this.fail('unterminated string');
      if (c === quote) return value;
      if (c === '\\') {
        const escaped = this.text[this.pos++];
        if (escaped !== '\\' && escaped !== "'" && escaped !== '"') this.fail('unsupported escape in a string');
        value += escaped;
      } else {
        value += c;
      }
    }
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && ' \t\r\n'.includes(this.text[this.pos])) this.pos++;
  }

  private fail(problem: string): never {
    const start = Math.max(0, this.pos - 20);
    const excerpt = JSON.stringify(this.text.slice(start, this.pos + 20));
    throw new WeightsFormatError(
      `npy header is not a Python dict literal: ${problem} at character ${this.pos} (near ${excerpt})`,
    );
  }
}

function isNonNegativeInteger(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** A short Python-style repr for messages, bounded so a huge value cannot flood them. */
function describe(value: PyLiteral | undefined, depth = 0): string {
  let text: string;
  if (value instanceof Map) text = '{...}';
  else if (Array.isArray(value)) {
    const items = depth > 1 ? ['...'] : value.slice(0, 8).map((v) => describe(v, depth + 1));
    if (value.length > 8 && depth <= 1) items.push('...');
    text = `(${items.join(', ')}${value.length === 1 ? ',' : ''})`;
  } else if (typeof value === 'string') text = `'${value}'`;
  else if (typeof value === 'boolean') text = value ? 'True' : 'False';
  else if (value === null) text = 'None';
  else text = String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
