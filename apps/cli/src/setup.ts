import * as tf from '@tensorflow/tfjs-core';
import { registeredBackendPlugins, useBackend } from '@convkit/core';
import '@convkit/backend-cpu';
import '@convkit/backend-wasm';
import '@convkit/backend-onednn';
import '@convkit/classifiers';
import '@convkit/segmentation';
import '@convkit/detection';
import { CliError } from './cli-error.js';

// tfjs prints a notice about tfjs-node on first use in Node; convkit users pick backends with --backend.
tf.enableProdMode();

/**
 * convkit's backends that this CLI does not register, and why: what a user can do instead. The CLI
 * bundles only the CPU backends that run wherever Node does.
 */
export const BACKENDS_ELSEWHERE: ReadonlyMap<string, string> = new Map([
  ['webgl', 'browsers only: @convkit/backend-webgl needs a WebGL context, which Node has not; use it from a web page (apps/web)'],
  ['cuda', 'not in the CLI: @convkit/backend-cuda needs Node on Linux with an NVIDIA GPU, its driver, cuDNN 9 and cuBLAS (not yet verified on a GPU); import it from your own program'],
  ['tensorflow', 'not in the CLI: @convkit/backend-tfjs-node adapts an installed @tensorflow/tfjs-node (which convkit never installs); import both from your own program'],
]);

/** Activates the requested backend, or the best available one, and returns its name. */
export async function selectBackend(name: string | undefined): Promise<string> {
  const registered = registeredBackendPlugins().some((p) => p.name === name);
  const elsewhere = name === undefined || registered ? undefined : BACKENDS_ELSEWHERE.get(name);
  if (elsewhere) throw new CliError(`backend '${name}' cannot run from the CLI: ${elsewhere}; here use ${registeredBackendPlugins().map((p) => p.name).join(', ')}`);
  try {
    return await useBackend(name);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}
