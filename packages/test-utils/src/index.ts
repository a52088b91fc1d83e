import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, type Module, availableBackends, fuseForInference, torchShape, unfuse, useBackend } from '@convkit/core';
import '@convkit/backend-cpu';
import '@convkit/backend-wasm';
import '@convkit/backend-onednn';
import { expectClose } from './layer-parity/closeness.js';

// Test files run in parallel workers on few cores: OpenMP threads that spin between kernels would take
// turns from the other workers (backend-onednn's README). libgomp reads this when oneDNN first loads.
process.env.OMP_WAIT_POLICY ??= 'PASSIVE';

/**
 * The backends a test run loops over: every registered plugin available here, or the comma-separated
 * list in CONVKIT_BACKENDS (e.g. `CONVKIT_BACKENDS=wasm`).
 */
export async function testBackends(): Promise<string[]> {
  const requested = process.env.CONVKIT_BACKENDS?.split(',').map((s) => s.trim()).filter(Boolean);
  const names = (await availableBackends()).filter((b) => b.available).map((b) => b.name);
  return requested ? names.filter((n) => requested.includes(n)) : names;
}

export { useBackend };

export { type Closeness, closeness, expectClose, nchwToNhwc } from './layer-parity/closeness.js';

export { LAYER_FIXTURES, readLayerFixtures } from './layer-parity/node.js';

/** The number of live tensors, to assert that a block of work leaks none. */
export function liveTensors(): number {
  return tf.memory().numTensors;
}

/**
 * Names and PyTorch shapes in state_dict order (each module's parameters, its buffers, then its
 * children), without reading weights: what torchvision's key fixtures list.
 */
export function stateDictListing(model: Module<any, any>): [string, number[]][] {
  const layouts = new Map(model.namedParameterLayouts());
  const parameters = model.namedParameters();
  const buffers = model.namedBuffers();
  const listing: [string, number[]][] = [];
  for (const [prefix] of model.namedModules()) {
    const own = (name: string) => name.slice(0, Math.max(0, name.lastIndexOf('.'))) === prefix;
    for (const [name, v] of parameters) if (own(name)) listing.push([name, torchShape(v.shape, layouts.get(name)!)]);
    for (const [name, v] of buffers) if (own(name)) listing.push([name, v.shape.slice()]);
  }
  return listing;
}

/** SHA-256 of a listing as tools/fixtures/make_classifier_keys.py hashes it: one "key d0,d1,..." line per entry. */
export function stateDictDigest(listing: [string, number[]][]): string {
  return createHash('sha256').update(listing.map(([key, shape]) => `${key} ${shape.join(',')}`).join('\n')).digest('hex');
}

/** One model's entry in a torchvision-keys.json fixture (tools/fixtures/make_classifier_keys.py). */
export interface TorchvisionKeys {
  params: number;
  entries: number;
  sha256: string;
  /** The whole listing, for the first model of a family only. */
  state_dict?: [string, number[]][];
}

/** The models of a torchvision-keys.json fixture, by name. */
export function readTorchvisionKeys(url: URL): Record<string, TorchvisionKeys> {
  return (JSON.parse(readFileSync(url, 'utf8')) as { models: Record<string, TorchvisionKeys> }).models;
}

/** How `model`'s state dict differs from torchvision's: key order and shapes, entry count, digest, parameter count. Empty when it matches. */
export function torchvisionKeyMismatches(model: Module<any, any>, expected: TorchvisionKeys): string[] {
  const listing = stateDictListing(model);
  const problems: string[] = [];
  if (expected.state_dict) {
    const i = expected.state_dict.findIndex(([key, shape], j) => listing[j]?.[0] !== key || listing[j]?.[1].join(',') !== shape.join(','));
    if (i >= 0) problems.push(`entry ${i}: ${JSON.stringify(listing[i] ?? null)}, torchvision ${JSON.stringify(expected.state_dict[i])}`);
  }
  if (listing.length !== expected.entries) problems.push(`${listing.length} entries, torchvision ${expected.entries}`);
  if (stateDictDigest(listing) !== expected.sha256) problems.push('the listing digest differs from torchvision\'s');
  if (model.countParams() !== expected.params) problems.push(`${model.countParams()} parameters, torchvision ${expected.params}`);
  return problems;
}

/** Population standard deviation, for checking initialisations. */
export function std(values: ArrayLike<number>): number {
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    squares += values[i]! ** 2;
  }
  return Math.sqrt(squares / values.length - (sum / values.length) ** 2);
}

/** Every tensor in a model's output (a tensor, or a record or list of them), in a fixed order: records by key. */
export function outputTensors(output: unknown): tf.Tensor[] {
  if (output instanceof tf.Tensor) return [output];
  if (Array.isArray(output)) return output.flatMap(outputTensors);
  if (output !== null && typeof output === 'object') return Object.keys(output).sort().flatMap((k) => outputTensors((output as Record<string, unknown>)[k]));
  return [];
}

/** The values of every tensor in a model's output (see `outputTensors`), which it disposes. */
export async function outputValues(output: unknown): Promise<Float32Array[]> {
  const tensors = outputTensors(output);
  const values = await Promise.all(tensors.map(async (t) => Float32Array.from(await t.data())));
  tf.dispose(tensors);
  return values;
}

/**
 * Throws unless `fuseForInference(model)` keeps every output of `forward()` to 1e-4 relative and holds
 * nothing but a folded weight and bias per convolution with a BatchNorm folded in, which `unfuse` frees.
 * Leaves the model unfused.
 */
export async function expectFusionKeepsOutputs(model: Module<any, any>, forward: () => unknown, label: string, inputShape?: number[]): Promise<void> {
  const expected = await outputValues(forward());
  const before = liveTensors();
  try {
    fuseForInference(model, inputShape);
    const actual = await outputValues(forward());
    if (actual.length !== expected.length) throw new Error(`${label} fused: ${actual.length} outputs, unfused ${expected.length}`);
    actual.forEach((values, i) => expectClose(values, expected[i]!, 1e-4, `${label} fused, output ${i}`));
    const folded = model.namedModules().filter(([, m]) => m instanceof Conv2d && m.fold?.batchNorm).length;
    if (liveTensors() !== before + 2 * folded) throw new Error(`${label} fused: ${liveTensors() - before} tensors more than unfused, expected ${2 * folded}`);
    unfuse(model);
    if (liveTensors() !== before) throw new Error(`${label}: ${liveTensors() - before} tensors left after unfuse`);
  } finally {
    unfuse(model);
  }
}
