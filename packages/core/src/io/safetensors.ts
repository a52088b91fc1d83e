import { WeightsFormatError } from '../errors.js';
import {
  bytesPerElement, elementCount, hostDataFromBytes, isHostDataOf, shapeToString, writeHostDataBytes,
  type HostDType, type HostTensor, type StateDict,
} from './host-tensor.js';

/** The reference implementation's limit: a larger header is taken as corruption, not parsed. */
const MAX_HEADER_BYTES = 100_000_000;

const FROM_FILE_DTYPE: Readonly<Record<string, HostDType>> = {
  F64: 'float64', F32: 'float32', F16: 'float16', BF16: 'bfloat16',
  I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8', U8: 'uint8', BOOL: 'bool',
};

const TO_FILE_DTYPE: Readonly<Record<HostDType, string>> = Object.fromEntries(
  Object.entries(FROM_FILE_DTYPE).map(([file, host]) => [host, file]),
) as Record<HostDType, string>;

interface HeaderEntry {
  name: string;
  dtype: HostDType;
  shape: number[];
  begin: number;
  end: number;
}

export function readSafetensors(bytes: Uint8Array): { tensors: StateDict; metadata: Record<string, string> } {
  if (bytes.length < 8) {
    throw new WeightsFormatError(
      `safetensors file is ${bytes.length} bytes long, too short for its 8-byte header length`,
    );
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new WeightsFormatError(
      `safetensors header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`,
    );
  }
  if (headerLength > BigInt(bytes.length - 8)) {
    throw new WeightsFormatError(
      `safetensors header length ${headerLength} overruns the ${bytes.length}-byte file`,
    );
  }
  const dataStart = 8 + Number(headerLength);
  const header = parseHeaderJson(bytes.subarray(8, dataStart));

  const entries: HeaderEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') metadata = checkMetadata(value);
    else entries.push(checkEntry(name, value));
  }
  // Object key order is not file order (integer-like names come first), so follow the offsets;
  // an empty tensor sorts before a non-empty one that starts where it does.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);

  const dataLength = bytes.length - dataStart;
  let expectedBegin = 0;
  let previous: HeaderEntry | undefined;
  for (const entry of entries) {
    const offsets = `data_offsets [${entry.begin}, ${entry.end}]`;
    if (entry.begin < expectedBegin) {
      throw new WeightsFormatError(
        `safetensors tensor '${entry.name}' ${offsets} overlaps tensor '${previous!.name}', ` +
          `which ends at ${expectedBegin}`,
      );
    }
    if (entry.begin > expectedBegin) {
      throw new WeightsFormatError(
        `safetensors data has a hole of ${entry.begin - expectedBegin} bytes before tensor '${entry.name}' ` +
          `(${offsets}; the previous data ends at ${expectedBegin})`,
      );
    }
    if (entry.end > dataLength) {
      throw new WeightsFormatError(
        `safetensors file ends after ${Math.max(0, dataLength - entry.begin)} of ${entry.end - entry.begin} ` +
          `bytes of tensor '${entry.name}'`,
      );
    }
    expectedBegin = entry.end;
    previous = entry;
  }
  if (dataLength > expectedBegin) {
    throw new WeightsFormatError(
      `safetensors file has ${dataLength - expectedBegin} bytes after the end of its last tensor's data`,
    );
  }

  const tensors: StateDict = new Map();
  for (const { name, dtype, shape, begin, end } of entries) {
    const data = hostDataFromBytes(dtype, bytes.subarray(dataStart + begin, dataStart + end), true);
    tensors.set(name, { dtype, shape, data });
  }
  return { tensors, metadata };
}

export function writeSafetensors(
  tensors: StateDict | Iterable<[string, HostTensor]>,
  metadata?: Record<string, string>,
): Uint8Array {
  const headerParts: string[] = [];
  if (metadata !== undefined) headerParts.push(`"__metadata__":${JSON.stringify(checkMetadata(metadata))}`);

  const names = new Set<string>();
  const ordered: [number, HostTensor][] = [];
  let dataLength = 0;
  for (const [name, tensor] of tensors) {
    if (name === '__metadata__') {
      throw new WeightsFormatError(`safetensors cannot hold a tensor named '__metadata__'`);
    }
    if (names.has(name)) throw new WeightsFormatError(`safetensors tensor name '${name}' appears twice`);
    names.add(name);
    checkTensorForWrite(name, tensor);
    const begin = dataLength;
    dataLength += tensor.data.byteLength;
    ordered.push([begin, tensor]);
    const info = { dtype: TO_FILE_DTYPE[tensor.dtype], shape: tensor.shape, data_offsets: [begin, dataLength] };
    // Built by hand rather than as one object so integer-like names keep their place in the header.
    headerParts.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
  }

  const json = new TextEncoder().encode(`{${headerParts.join(',')}}`);
  // The reference writer pads with spaces so the data starts 8-byte aligned.
  const headerLength = Math.ceil(json.length / 8) * 8;
  const dataStart = 8 + headerLength;
  const out = new Uint8Array(dataStart + dataLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, dataStart);
  for (const [begin, tensor] of ordered) writeHostDataBytes(tensor.data, out, dataStart + begin, true);
  return out;
}

function parseHeaderJson(headerBytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new WeightsFormatError('safetensors header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new WeightsFormatError(`safetensors header is not valid JSON: ${(e as Error).message}`);
  }
  if (!isPlainObject(header)) {
    throw new WeightsFormatError(`safetensors header is JSON ${describeJson(header)}, not an object`);
  }
  return header;
}

function checkEntry(name: string, value: unknown): HeaderEntry {
  const where = `safetensors tensor '${name}'`;
  if (!isPlainObject(value)) {
    throw new WeightsFormatError(`${where} has header entry ${describeJson(value)}, not an object`);
  }
  for (const field of ['dtype', 'shape', 'data_offsets']) {
    if (!Object.hasOwn(value, field)) throw new WeightsFormatError(`${where} has no '${field}' in its header entry`);
  }
  const { dtype: fileDType, shape, data_offsets: offsets } = value;

  if (typeof fileDType !== 'string') {
    throw new WeightsFormatError(`${where} has dtype ${describeJson(fileDType)}, not a string`);
  }
  if (!Object.hasOwn(FROM_FILE_DTYPE, fileDType)) {
    throw new WeightsFormatError(
      `${where} has unsupported dtype '${fileDType}' (supported: ${Object.keys(FROM_FILE_DTYPE).join(', ')})`,
    );
  }
  const dtype = FROM_FILE_DTYPE[fileDType];

  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    throw new WeightsFormatError(
      `${where} has shape ${describeJson(shape)}; a shape must be a list of non-negative integers`,
    );
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger)) {
    throw new WeightsFormatError(
      `${where} has data_offsets ${describeJson(offsets)}; they must be two non-negative integers [begin, end]`,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) {
    throw new WeightsFormatError(`${where} has data_offsets [${begin}, ${end}], which end before they begin`);
  }
  const count = elementCount(shape);
  const byteLength = count * bytesPerElement(dtype);
  if (byteLength !== end - begin) {
    throw new WeightsFormatError(
      `${where} has shape ${shapeToString(shape)} (${count} values of ${dtype} = ${byteLength} bytes) ` +
        `but data_offsets span ${end - begin} bytes`,
    );
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

function checkMetadata(value: unknown): Record<string, string> {
  // The reference implementation reads a null __metadata__ as absent.
  if (value === null) return {};
  if (!isPlainObject(value)) {
    throw new WeightsFormatError(`safetensors __metadata__ is ${describeJson(value)}, not an object`);
  }
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      throw new WeightsFormatError(
        `safetensors __metadata__ value for '${key}' is ${describeJson(v)}, not a string`,
      );
    }
  }
  return Object.fromEntries(Object.entries(value)) as Record<string, string>;
}

function checkTensorForWrite(name: string, { dtype, shape, data }: HostTensor): void {
  const where = `safetensors tensor '${name}'`;
  if (!Object.hasOwn(TO_FILE_DTYPE, dtype)) {
    throw new WeightsFormatError(`${where} has dtype '${String(dtype)}', which safetensors cannot store`);
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    throw new WeightsFormatError(`${where} has shape ${describeJson(shape)}; dims must be non-negative integers`);
  }
  if (!isHostDataOf(dtype, data)) {
    throw new WeightsFormatError(`${where} has dtype ${dtype} but its data is a ${data[Symbol.toStringTag]}`);
  }
  const count = elementCount(shape);
  if (data.length !== count) {
    throw new WeightsFormatError(
      `${where} has shape ${shapeToString(shape)} (${count} values) but its data holds ${data.length} values`,
    );
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeInteger(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** Bounded, so a deeply nested or huge value cannot blow the stack or the message. */
function describeJson(value: unknown, depth = 0): string {
  let text: string;
  if (Array.isArray(value)) {
    text = depth > 1 ? '[...]' : `[${listed(value, (v) => describeJson(v, depth + 1))}]`;
  } else if (isPlainObject(value)) {
    const item = (k: string) => `${JSON.stringify(k)}: ${describeJson(value[k], depth + 1)}`;
    text = depth > 1 ? '{...}' : `{${listed(Object.keys(value), item)}}`;
  } else {
    text = JSON.stringify(value) ?? String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function listed<T>(items: T[], show: (item: T) => string): string {
  const shown = items.slice(0, 8).map(show);
  return items.length > 8 ? `${shown.join(', ')}, ...` : shown.join(', ');
}
