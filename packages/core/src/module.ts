import * as tf from '@tensorflow/tfjs-core';
import { LayerInputError, StateDictError } from './errors.js';
import { type HostDType, type HostTensor, type StateDict, elementCount, shapeToString } from './io/host-tensor.js';
import { type ParameterLayout, fromTorchLayout, toTorchLayout, torchShape } from './layout.js';
import { toFloat32Array } from './io/convert.js';

interface ParameterEntry {
  variable: tf.Variable;
  /** How the PyTorch tensor of the same name is laid out relative to ours. */
  layout: ParameterLayout;
}

interface BufferEntry {
  variable: tf.Variable;
  /** PyTorch keeps counters such as `num_batches_tracked` as int64; tfjs has no int64, so we hold int32. */
  torchDtype: 'float32' | 'int64';
}

interface StateEntry {
  name: string;
  kind: 'parameter' | 'buffer';
  variable: tf.Variable;
  layout: ParameterLayout;
  torchDtype: 'float32' | 'int64';
}

/** What a forward trace sees of one module call: used by `summary()` and `fuseForInference()`. */
export interface CallRecord {
  module: Module<any, any>;
  /** The argument and the result themselves, so that calls can be linked by tensor identity. */
  input: unknown;
  output: unknown;
  inputShapes: number[][];
  outputShapes: number[][];
}

let activeTrace: CallRecord[] | null = null;
/** Module calls in progress: only the outermost one checks its input. */
let callDepth = 0;
let refuseNonFinite = true;
/**
 * Backends whose tensors live in host memory, where the check's scalar read costs microseconds. On a GPU
 * backend (webgl, webgpu, cuda) it would be a blocking readback in every forward pass, which those
 * backends' tests forbid, so the check is not made there.
 */
const HOST_MEMORY_BACKENDS = new Set(['cpu', 'wasm', 'onednn', 'tensorflow']);

/**
 * Whether the outermost `Module.call` in eval mode refuses input tensors holding NaN or +-Infinity (on by
 * default). tfjs-backend-wasm's XNNPACK kernels do not propagate NaN (a convolution turns it into -Infinity,
 * a fused convolution + ReLU into 0), so such an input would come out as a finite, confident answer. The
 * check costs one pass over the input and one synchronous read of a scalar; training, the meta backend
 * and the GPU backends (where the read would block on the device) skip it.
 */
export function setRefuseNonFiniteInputs(refuse: boolean): void {
  refuseNonFinite = refuse;
}

/** Throws a LayerInputError naming `module` when a float tensor of `input` holds NaN or +-Infinity. */
function assertFinite(module: Module<any, any>, input: unknown): void {
  for (const t of tensorsOf(input)) {
    if (t.dtype !== 'float32' || t.size === 0) continue;
    // x * 0 is NaN exactly where x is NaN or infinite, and a sum propagates it on every backend.
    const sum = tf.tidy(() => tf.sum(tf.mul(t, 0)));
    const value = sum.dataSync()[0]!;
    sum.dispose();
    if (Number.isNaN(value)) {
      throw new LayerInputError(
        `${module.typeName} was given an input ${shapeToString(t.shape)} holding NaN or infinite values; convkit refuses them in eval mode ` +
          `because some backends (wasm) turn them into finite outputs. Check the data, or call setRefuseNonFiniteInputs(false)`,
      );
    }
  }
}

/** Runs `fn` with every `Module.call` recorded, innermost calls first. */
export function traceCalls<T>(fn: () => T): { result: T; calls: CallRecord[] } {
  const previous = activeTrace;
  const calls: CallRecord[] = [];
  activeTrace = calls;
  try {
    return { result: fn(), calls };
  } finally {
    activeTrace = previous;
  }
}

/** Every tensor in a module's argument or result: the value itself, or those inside its arrays and objects. */
export function tensorsOf(value: unknown): tf.Tensor[] {
  if (value instanceof tf.Tensor) return [value];
  if (Array.isArray(value)) return value.flatMap(tensorsOf);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(tensorsOf);
  return [];
}

const shapesOf = (value: unknown): number[][] => tensorsOf(value).map((t) => t.shape.slice());

export interface LoadStateDictOptions {
  /** When true (the default), missing and unexpected keys are errors, as in PyTorch. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/**
 * The unit of every network, after `torch.nn.Module`: named parameters and buffers, named children,
 * train/eval mode and PyTorch-compatible state dicts. Activations are NHWC tensors.
 *
 * Subclasses implement `forward`; callers (and parents calling children) use `call`, which records the
 * call for `summary()` and names the layer in any error it raises.
 */
export abstract class Module<In = tf.Tensor, Out = tf.Tensor> {
  #parameters = new Map<string, ParameterEntry>();
  #buffers = new Map<string, BufferEntry>();
  #children = new Map<string, Module<any, any>>();
  #parent: Module<any, any> | null = null;
  #nameInParent = '';
  training = true;

  abstract forward(input: In): Out;

  /** The class name shown in summaries and errors; PyTorch's name for the same layer. */
  get typeName(): string {
    return this.constructor.name;
  }

  /** Multiply-accumulates of one call, by torchvision's convention (conv and linear layers only). */
  countMacs(_inputShapes: number[][], _outputShapes: number[][]): number {
    return 0;
  }

  call(input: In): Out {
    if (callDepth === 0 && refuseNonFinite && !this.training && HOST_MEMORY_BACKENDS.has(tf.getBackend())) assertFinite(this, input);
    let output: Out;
    callDepth++;
    try {
      output = this.forward(input);
    } catch (error) {
      throw this.#withPath(error);
    } finally {
      callDepth--;
    }
    if (activeTrace) {
      activeTrace.push({ module: this, input, output, inputShapes: shapesOf(input), outputShapes: shapesOf(output) });
    }
    return output;
  }

  #withPath(error: unknown): unknown {
    if (!(error instanceof Error) || (error as { convkitPath?: string }).convkitPath !== undefined) return error;
    const path = this.path() || '(root)';
    const named = error instanceof LayerInputError ? error : new LayerInputError(error.message, { cause: error });
    named.message = `layer '${path}' (${this.typeName}): ${error.message}`;
    (named as { convkitPath?: string }).convkitPath = path;
    return named;
  }

  /** Dotted name from the root module, e.g. `layer1.0.conv1`; '' for the root. */
  path(): string {
    const names: string[] = [];
    for (let m: Module<any, any> = this; m.#parent !== null; m = m.#parent) names.unshift(m.#nameInParent);
    return names.join('.');
  }

  protected registerModule<M extends Module<any, any>>(name: string, module: M): M {
    this.#assertFreeName(name);
    module.#parent = this;
    module.#nameInParent = name;
    this.#children.set(name, module);
    return module;
  }

  protected registerParameter(name: string, value: tf.Tensor, layout: ParameterLayout = 'plain'): tf.Variable {
    this.#assertFreeName(name);
    const variable = tf.variable(value, true);
    value.dispose();
    this.#parameters.set(name, { variable, layout });
    return variable;
  }

  protected registerBuffer(name: string, value: tf.Tensor, torchDtype: 'float32' | 'int64' = 'float32'): tf.Variable {
    this.#assertFreeName(name);
    const variable = tf.variable(value, false);
    value.dispose();
    this.#buffers.set(name, { variable, torchDtype });
    return variable;
  }

  #assertFreeName(name: string): void {
    if (!name || name.includes('.')) throw new Error(`invalid member name '${name}': names are non-empty and have no dots`);
    if (this.#parameters.has(name) || this.#buffers.has(name) || this.#children.has(name)) {
      throw new Error(`'${name}' is already registered on ${this.typeName}`);
    }
  }

  /** Direct children in registration order. */
  namedChildren(): [string, Module<any, any>][] {
    return [...this.#children];
  }

  /** This module and every descendant, depth first, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module<any, any>][] {
    const out: [string, Module<any, any>][] = [[prefix, this]];
    for (const [name, child] of this.#children) out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  /** Parameters in our layout (conv weights [kH, kW, in/groups, out], linear [in, out]), by dotted name. */
  namedParameters(): [string, tf.Variable][] {
    return this.#namedEntries().filter((e) => e.kind === 'parameter').map((e) => [e.name, e.variable]);
  }

  /** How each parameter's PyTorch layout relates to ours, by dotted name. */
  namedParameterLayouts(): [string, ParameterLayout][] {
    return this.#namedEntries().filter((e) => e.kind === 'parameter').map((e) => [e.name, e.layout]);
  }

  namedBuffers(): [string, tf.Variable][] {
    return this.#namedEntries().filter((e) => e.kind === 'buffer').map((e) => [e.name, e.variable]);
  }

  /** The variables an optimizer should update. */
  trainableVariables(): tf.Variable[] {
    return this.namedParameters().map(([, v]) => v).filter((v) => v.trainable);
  }

  /** Parameters directly on this module, not its children. */
  ownParameterCount(): number {
    let n = 0;
    for (const { variable } of this.#parameters.values()) n += variable.size;
    return n;
  }

  /** Number of parameter values (buffers excluded), as `sum(p.numel() for p in m.parameters())`. */
  countParams(options: { trainableOnly?: boolean } = {}): number {
    return this.namedParameters()
      .filter(([, v]) => !options.trainableOnly || v.trainable)
      .reduce((n, [, v]) => n + v.size, 0);
  }

  /** Entries in PyTorch's state_dict order: each module's parameters, then its buffers, then its children. */
  #namedEntries(prefix = ''): StateEntry[] {
    const join = (n: string) => (prefix ? `${prefix}.${n}` : n);
    const out: StateEntry[] = [];
    for (const [n, p] of this.#parameters) out.push({ name: join(n), kind: 'parameter', variable: p.variable, layout: p.layout, torchDtype: 'float32' });
    for (const [n, b] of this.#buffers) out.push({ name: join(n), kind: 'buffer', variable: b.variable, layout: 'plain', torchDtype: b.torchDtype });
    for (const [n, c] of this.#children) out.push(...c.#namedEntries(join(n)));
    return out;
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * Every parameter and buffer in PyTorch's names, order and layouts (conv weights [O, I/groups, kH, kW],
   * linear [out, in]), read back to host memory: ready for `writeSafetensors`.
   */
  async stateDict(): Promise<StateDict> {
    const dict: StateDict = new Map();
    for (const entry of this.#namedEntries()) {
      const values = await entry.variable.data();
      let tensor: HostTensor;
      if (entry.torchDtype === 'int64') {
        tensor = { dtype: 'int64', shape: entry.variable.shape.slice(), data: BigInt64Array.from(values as Int32Array, (v) => BigInt(v)) };
      } else {
        tensor = toTorchLayout({ dtype: 'float32', shape: entry.variable.shape.slice(), data: values as Float32Array }, entry.layout);
      }
      dict.set(entry.name, tensor);
    }
    return dict;
  }

  /**
   * Loads a PyTorch-layout state dict. Everything is checked before anything is assigned, so a dict
   * that does not fit leaves the module exactly as it was; the error names every offending key.
   */
  loadStateDict(dict: StateDict, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    const entries = this.#namedEntries();
    const expected = new Set(entries.map((e) => e.name));
    // PyTorch's BatchNorm fills in a counter a dict does not carry (a dict without a version, as every
    // safetensors file is), keeping the buffer's value; so do we.
    const missingKeys = entries.map((e) => e.name).filter((n) => !dict.has(n) && !isBatchCounter(n));
    const unexpectedKeys = [...dict.keys()].filter((n) => !expected.has(n));
    const problems: string[] = [];
    const mismatchedKeys: string[] = [];
    for (const entry of entries) {
      const given = dict.get(entry.name);
      if (!given) continue;
      const want = torchShape(entry.variable.shape, entry.layout);
      if (given.shape.length !== want.length || given.shape.some((d, i) => d !== want[i])) {
        mismatchedKeys.push(entry.name);
        problems.push(`'${entry.name}': shape ${shapeToString(given.shape)} in the file, ${shapeToString(want)} in the model`);
      } else if (!loadableDtype(given.dtype, entry.torchDtype)) {
        mismatchedKeys.push(entry.name);
        problems.push(`'${entry.name}': dtype ${given.dtype} cannot be loaded into ${entry.torchDtype === 'int64' ? 'an int64' : 'a float32'} ${entry.kind}`);
      } else if (given.data.length !== elementCount(given.shape)) {
        mismatchedKeys.push(entry.name);
        problems.push(`'${entry.name}': ${given.data.length} values for shape ${shapeToString(given.shape)}`);
      }
    }
    if (strict && missingKeys.length) problems.push(`missing keys: ${missingKeys.map((k) => `'${k}'`).join(', ')}`);
    if (strict && unexpectedKeys.length) problems.push(`unexpected keys: ${unexpectedKeys.map((k) => `'${k}'`).join(', ')}`);
    if (problems.length) {
      throw new StateDictError(
        `state dict does not fit ${this.typeName} (nothing was loaded):\n  ${problems.join('\n  ')}`,
        missingKeys,
        unexpectedKeys,
        mismatchedKeys,
      );
    }
    for (const entry of entries) {
      const given = dict.get(entry.name);
      if (!given) continue;
      const value = entry.torchDtype === 'int64' || entry.variable.dtype === 'int32'
        ? tf.tensor(integerValues(given), entry.variable.shape, 'int32')
        : tf.tensor(fromTorchLayout({ ...given, data: toFloat32Array(given) }, entry.layout).data as Float32Array, entry.variable.shape, 'float32');
      entry.variable.assign(value);
      value.dispose();
    }
    return { missingKeys, unexpectedKeys };
  }

  /** Frees every parameter and buffer of this module and its children, and what each holds besides (a convolution's folded weights). */
  dispose(): void {
    for (const { variable } of this.#parameters.values()) variable.dispose();
    for (const { variable } of this.#buffers.values()) variable.dispose();
    for (const child of this.#children.values()) child.dispose();
  }
}

const isBatchCounter = (name: string) => name === 'num_batches_tracked' || name.endsWith('.num_batches_tracked');

/**
 * Floating-point tensors load into float32 parameters and buffers; int64 counters (`num_batches_tracked`)
 * take any number, as PyTorch's copy_ does. Integers into weights or bool anywhere are more likely a wrong
 * file than a conversion to make.
 */
function loadableDtype(given: HostDType, into: 'float32' | 'int64'): boolean {
  if (into === 'int64') return given !== 'bool';
  return given === 'float64' || given === 'float32' || given === 'float16' || given === 'bfloat16';
}

/** Values for an int32 variable; floats (16-bit ones are stored as raw bits) truncate toward zero, as PyTorch's copy_. */
function integerValues(t: HostTensor): Int32Array {
  if (t.dtype.startsWith('float') || t.dtype === 'bfloat16') return Int32Array.from(toFloat32Array(t), Math.trunc);
  return Int32Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}

/** Throws a LayerInputError unless `x` has the given rank; `layout` describes the axes for the message. */
export function expectRank(x: tf.Tensor, rank: number, layout: string): void {
  if (x.rank !== rank) {
    throw new LayerInputError(`expected a rank-${rank} input ${layout}, got shape ${shapeToString(x.shape)}`);
  }
}

/** Throws a LayerInputError unless the last axis of `x` has `channels` entries. */
export function expectChannels(x: tf.Tensor, channels: number, what = 'channels'): void {
  const got = x.shape[x.rank - 1];
  if (got !== channels) {
    throw new LayerInputError(`expected ${channels} ${what} on the last axis, got ${got} (input shape ${shapeToString(x.shape)})`);
  }
}
