import * as tf from '@tensorflow/tfjs-core';
import { type HostTensor, type Module, type StateDict, crossEntropy, fromTorchLayout, mseLoss, smoothL1Loss } from '@convkit/core';
import { closeness, nchwToNhwc, nhwcShape } from './closeness.js';
import { type LayerCase, type LayerFixtures, type LossCase, caseTensors } from './fixtures.js';
import { MISSING_GRADIENT_KERNELS, WRONG_GRADIENT_KERNELS } from './kernel-gaps.js';
import { buildModule, moduleTypes } from './pytorch-modules.js';

/**
 * The tolerance every backend's layer parity is held to: max |ours - torch| / max |torch| per tensor.
 * Measured (Node 20, x86-64): cpu outputs within 2e-7 and gradients within 2e-6, wasm within 4e-7;
 * webgl in Chromium on SwiftShader 2.7e-7 and 1.0e-6. The rest leaves room for other summation orders
 * and fused multiply-adds.
 */
export const LAYER_TOLERANCE = 1e-5;

/** One compared tensor of a fixture on a backend: its error, the error the check threw, or why it was skipped. */
export interface ParityMeasurement {
  backend: string;
  /** The fixture case, or `loss <name>`. */
  case: string;
  /** The case, with the parameter or buffer name where the check compares one (`conv.weight`); losses as `loss <name>`. */
  name: string;
  /** output, running stats, taped output, input grad, parameter grad, loss, loss grad; `tensors` for a leak. */
  quantity: string;
  relativeError?: number;
  tolerance: number;
  error?: string;
  /** A known gap of this backend (kernel-gaps.ts) stood in the way. */
  skipped?: string;
}

/** Whether a measurement fails: the check threw, or the error is over the tolerance (NaN included). */
export function failed(m: ParityMeasurement): boolean {
  return m.skipped === undefined && (m.error !== undefined || !(m.relativeError! <= m.tolerance));
}

/** One line per failed measurement. */
export function parityFailures(measurements: readonly ParityMeasurement[]): string[] {
  return measurements.filter(failed).map((m) => `${m.backend} ${m.name} ${m.quantity}: ${m.error ?? `${m.relativeError!.toExponential(2)} > ${m.tolerance}`}`);
}

export interface ParitySummary {
  /** Distinct cases and losses measured. */
  cases: number;
  comparisons: number;
  skipped: number;
  worstRelativeError: number;
  /** The largest error per quantity, with the case it was seen on. */
  worst: Map<string, { relativeError: number; name: string }>;
  failures: string[];
}

export function summarizeParity(measurements: readonly ParityMeasurement[]): ParitySummary {
  const worst = new Map<string, { relativeError: number; name: string }>();
  let worstRelativeError = 0;
  for (const m of measurements) {
    if (m.relativeError === undefined || failed(m) || m.skipped !== undefined) continue;
    worstRelativeError = Math.max(worstRelativeError, m.relativeError);
    if (!(m.relativeError <= (worst.get(m.quantity)?.relativeError ?? -1))) worst.set(m.quantity, { relativeError: m.relativeError, name: m.name });
  }
  return {
    cases: new Set(measurements.map((m) => m.case)).size,
    comparisons: measurements.filter((m) => m.relativeError !== undefined).length,
    skipped: measurements.filter((m) => m.skipped !== undefined).length,
    worstRelativeError,
    worst,
    failures: parityFailures(measurements),
  };
}

type Recorder = (name: string, quantity: string, actual: ArrayLike<number>, expected: ArrayLike<number>) => void;

/** Makes `backend` the active tfjs backend (registered by a plugin or by the test itself). */
async function activate(backend: string): Promise<void> {
  if (tf.getBackend() !== backend && !(await tf.setBackend(backend))) throw new Error(`backend '${backend}' failed to initialise`);
  await tf.ready();
}

/**
 * Runs one check on the active backend: the measurements `fn` records, an error if it throws, and a
 * `tensors` error if it leaves tensors behind. With `gaps`, a failure that a known gap of the backend
 * explains (kernel-gaps.ts) is recorded as skipped.
 */
async function measure(
  backend: string, c: { name: string; module?: LayerCase['module'] }, quantity: string, tolerance: number, gaps: boolean,
  fn: (record: Recorder) => Promise<void>,
): Promise<ParityMeasurement[]> {
  await activate(backend);
  const out: ParityMeasurement[] = [];
  const record: Recorder = (name, q, actual, expected) => {
    try {
      out.push({ backend, case: c.name, name, quantity: q, tolerance, relativeError: closeness(actual, expected).maxRelativeError });
    } catch (error) {
      out.push({ backend, case: c.name, name, quantity: q, tolerance, error: (error as Error).message });
    }
  };
  const before = tf.memory().numTensors;
  try {
    await fn(record);
  } catch (error) {
    const message = String((error as Error).stack ?? error);
    const missing = /Kernel '(\w+)' not registered for backend '(\w+)'/.exec(message);
    if (gaps && missing && missing[2] === backend && MISSING_GRADIENT_KERNELS[backend]?.includes(missing[1]!)) {
      out.push({ backend, case: c.name, name: c.name, quantity, tolerance, skipped: `${backend} has no ${missing[1]} kernel` });
    } else {
      out.push({ backend, case: c.name, name: c.name, quantity, tolerance, error: message });
    }
  }
  const wrong = gaps && c.module ? WRONG_GRADIENT_KERNELS[backend]?.find((k) => moduleTypes(c.module!).includes(k.layer)) : undefined;
  if (wrong) {
    for (const m of out) if (failed(m)) m.skipped = `${backend} ${wrong.kernel}: ${wrong.bug}`;
  }
  // A gradient that throws part-way leaves its tape's tensors behind in tfjs: counted only when nothing was skipped.
  const leaked = tf.memory().numTensors - before;
  if (leaked && !out.some((m) => m.skipped !== undefined)) {
    out.push({ backend, case: c.name, name: c.name, quantity: 'tensors', tolerance, error: `${quantity}: ${leaked} tensors left behind` });
  }
  return out;
}

function withPrefix(tensors: StateDict, prefix: string): StateDict {
  return new Map([...tensors].filter(([k]) => k.startsWith(`${prefix}.`)).map(([k, v]) => [k.slice(prefix.length + 1), v]));
}

/** A fixture activation as a tensor in our layout: NCHW becomes NHWC. */
function activation(t: HostTensor): tf.Tensor {
  return tf.tensor(nchwToNhwc(t.data as Float32Array, t.shape), nhwcShape(t.shape), 'float32');
}

const expected = (t: HostTensor) => nchwToNhwc(t.data as Float32Array, t.shape);

/** A fresh model per check, as PyTorch's were built: a training-mode step updates the running statistics. */
function loadCase(c: LayerCase, tensors: StateDict): Module {
  const model = buildModule(c.module);
  model.loadStateDict(withPrefix(tensors, 'state'));
  model.train(c.mode === 'train');
  return model;
}

/** The forward pass (in the case's mode) and, in training mode, the buffers after it: running statistics and batch counts. */
export function checkForward(backend: string, fixtures: LayerFixtures, c: LayerCase, tolerance = LAYER_TOLERANCE): Promise<ParityMeasurement[]> {
  const tensors = caseTensors(fixtures, c.file);
  return measure(backend, c, 'output', tolerance, false, async (record) => {
    const model = loadCase(c, tensors);
    const x = activation(tensors.get('input')!);
    try {
      const y = model.call(x) as tf.Tensor;
      const values = await y.data();
      y.dispose();
      record(c.name, 'output', values, expected(tensors.get('output')!));
      if (c.mode !== 'train') return;
      const after = await model.stateDict();
      for (const [key, reference] of withPrefix(tensors, 'after')) {
        const actual = after.get(key);
        if (!actual) throw new Error(`${key}: not in the state dict after the step`);
        if (reference.dtype === 'int64') {
          if (String(actual.data) !== String(reference.data)) throw new Error(`${key}: ${actual.data} after the step, PyTorch ${reference.data}`);
        } else {
          record(`${c.name} ${key}`, 'running stats', actual.data as Float32Array, reference.data as Float32Array);
        }
      }
    } finally {
      x.dispose();
      model.dispose();
    }
  });
}

/** The gradient of sum(output * probe) with respect to the input, and the output on the tape. */
export function checkInputGradient(backend: string, fixtures: LayerFixtures, c: LayerCase, tolerance = LAYER_TOLERANCE): Promise<ParityMeasurement[]> {
  const tensors = caseTensors(fixtures, c.file);
  return measure(backend, c, 'input grad', tolerance, true, async (record) => {
    const model = loadCase(c, tensors);
    const x = activation(tensors.get('input')!);
    const probe = activation(tensors.get('probe')!);
    let output: tf.Tensor | undefined;
    let grad: tf.Tensor | undefined;
    try {
      grad = tf.grad((input: tf.Tensor) => {
        const y = model.call(input) as tf.Tensor;
        output = tf.keep(tf.clone(y));
        return tf.sum(tf.mul(y, probe));
      })(x);
      record(c.name, 'taped output', await output!.data(), expected(tensors.get('output')!));
      record(c.name, 'input grad', await grad.data(), expected(tensors.get('grad.input')!));
    } finally {
      tf.dispose([x, probe, ...(output ? [output] : []), ...(grad ? [grad] : [])]);
      model.dispose();
    }
  });
}

/** The gradient of sum(output * probe) with respect to every parameter, compared in our layout. */
export function checkParameterGradients(backend: string, fixtures: LayerFixtures, c: LayerCase, tolerance = LAYER_TOLERANCE): Promise<ParityMeasurement[]> {
  const tensors = caseTensors(fixtures, c.file);
  return measure(backend, c, 'parameter grad', tolerance, true, async (record) => {
    const model = loadCase(c, tensors);
    const x = activation(tensors.get('input')!);
    const probe = activation(tensors.get('probe')!);
    const layouts = new Map(model.namedParameterLayouts());
    const names = model.namedParameters().map(([name]) => name);
    if (names.join() !== c.parameters.join()) throw new Error(`parameters ${names.join(', ')}, PyTorch ${c.parameters.join(', ')}`);
    let result: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
    try {
      result = tf.variableGrads(() => tf.sum(tf.mul(model.call(x) as tf.Tensor, probe)), model.trainableVariables());
      for (const [name, variable] of model.namedParameters()) {
        const reference = fromTorchLayout(tensors.get(`grad.${name}`)!, layouts.get(name)!);
        if (variable.shape.join() !== reference.shape.join()) throw new Error(`${name}: shape [${variable.shape}], PyTorch's in our layout [${reference.shape}]`);
        record(`${c.name} ${name}`, 'parameter grad', await result.grads[variable.name]!.data(), reference.data as Float32Array);
      }
    } finally {
      tf.dispose([x, probe, ...(result ? [result.value, ...Object.values(result.grads)] : [])]);
      model.dispose();
    }
  });
}

/** A loss function's value and its gradient with respect to the input. */
export function checkLoss(backend: string, fixtures: LayerFixtures, c: LossCase, tolerance = LAYER_TOLERANCE): Promise<ParityMeasurement[]> {
  const tensors = caseTensors(fixtures, c.file);
  const name = `loss ${c.name}`;
  return measure(backend, { name }, 'loss', tolerance, false, async (record) => {
    const inputHost = tensors.get('input')!;
    const targetHost = tensors.get('target')!;
    const input = tf.tensor(inputHost.data as Float32Array, inputHost.shape);
    const target = targetHost.dtype === 'int64'
      ? tf.tensor1d(Int32Array.from(targetHost.data as BigInt64Array, Number), 'int32')
      : tf.tensor(targetHost.data as Float32Array, targetHost.shape);
    const loss = (p: tf.Tensor): tf.Scalar => {
      switch (c.function) {
        case 'cross_entropy': return crossEntropy(p, target, { ignoreIndex: c.kwargs.ignore_index });
        case 'smooth_l1_loss': return smoothL1Loss(p, target, c.kwargs.beta);
        case 'mse_loss': return mseLoss(p, target);
      }
    };
    let result: { value: tf.Scalar; grad: tf.Tensor } | undefined;
    try {
      result = tf.valueAndGrad(loss)(input);
      record(name, 'loss', await result.value.data(), tensors.get('loss')!.data as Float32Array);
      record(name, 'loss grad', await result.grad.data(), tensors.get('grad.input')!.data as Float32Array);
    } finally {
      tf.dispose([input, target, ...(result ? [result.value, result.grad] : [])]);
    }
  });
}

export interface LayerParityOptions {
  tolerance?: number;
  /** Only the layer cases (by name) it keeps; losses always run. */
  filter?: (name: string) => boolean;
}

/**
 * Every layer fixture and loss on `backend`, which must be registered with tfjs (by its plugin or by
 * the test): forward, running statistics, input and parameter gradients, losses. One measurement per
 * compared tensor; `summarizeParity` and `parityFailures` read them.
 */
export async function runLayerParity(backend: string, fixtures: LayerFixtures, options: LayerParityOptions = {}): Promise<ParityMeasurement[]> {
  const { tolerance = LAYER_TOLERANCE, filter = () => true } = options;
  const out: ParityMeasurement[] = [];
  for (const c of fixtures.cases.filter((c) => filter(c.name))) {
    out.push(...await checkForward(backend, fixtures, c, tolerance));
    out.push(...await checkInputGradient(backend, fixtures, c, tolerance));
    if (c.parameters.length) out.push(...await checkParameterGradients(backend, fixtures, c, tolerance));
  }
  for (const c of fixtures.losses) out.push(...await checkLoss(backend, fixtures, c, tolerance));
  return out;
}

/** The cross-entropy loss of `model` on (x, labels) and the gradient of each parameter, by name: one train step's numbers, for comparing backends. */
export async function lossAndGradients(model: Module<tf.Tensor, unknown>, x: tf.Tensor, labels: tf.Tensor): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
  const { value, grads } = tf.variableGrads(() => crossEntropy(model.call(x) as tf.Tensor, labels), model.trainableVariables());
  const out = new Map<string, Float32Array>();
  for (const [name, v] of model.namedParameters()) out.set(name, Float32Array.from(await grads[v.name]!.data()));
  const loss = (await value.data())[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, grads: out };
}
