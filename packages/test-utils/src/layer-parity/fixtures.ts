import { type StateDict, readSafetensors } from '@convkit/core';
import type { ModuleSpec } from './pytorch-modules.js';

/** One layer case of the manifest: a PyTorch module, its mode, and the safetensors file of its references. */
export interface LayerCase {
  name: string;
  module: ModuleSpec;
  mode: 'train' | 'eval';
  file: string;
  stateKeys: string[];
  parameters: string[];
}

/** One loss case: a functional loss of torch.nn.functional with its keyword arguments. */
export interface LossCase {
  name: string;
  function: 'cross_entropy' | 'smooth_l1_loss' | 'mse_loss';
  kwargs: Record<string, number>;
  file: string;
}

/**
 * core's PyTorch 1.13 layer fixtures (packages/core/src/layers/fixtures, from
 * tools/fixtures/make_layer_fixtures.py), read once. Each case's file holds `input`, `probe`, `output`,
 * `grad.input`, `grad.<parameter>`, the module's state under `state.` and, in training mode, the state
 * after the step under `after.`; each loss's file holds `input`, `target`, `loss` and `grad.input`.
 */
export interface LayerFixtures {
  cases: LayerCase[];
  losses: LossCase[];
  tensors: Map<string, StateDict>;
}

/**
 * Reads the manifest and every file it names through `read` (a file name relative to the fixture
 * folder to its bytes): `readFile` in Node, `fetch` in a browser page.
 */
export async function loadLayerFixtures(read: (file: string) => Promise<Uint8Array>): Promise<LayerFixtures> {
  const manifest = JSON.parse(new TextDecoder().decode(await read('manifest.json'))) as { cases: LayerCase[]; losses: LossCase[] };
  const tensors = new Map<string, StateDict>();
  await Promise.all([...manifest.cases, ...manifest.losses].map(async ({ file }) => {
    tensors.set(file, readSafetensors(await read(file)).tensors);
  }));
  return { cases: manifest.cases, losses: manifest.losses, tensors };
}

/** The tensors of a case's file, by name. */
export function caseTensors(fixtures: LayerFixtures, file: string): StateDict {
  const tensors = fixtures.tensors.get(file);
  if (!tensors) throw new Error(`fixture ${file} was not loaded: is it in manifest.json?`);
  return tensors;
}
