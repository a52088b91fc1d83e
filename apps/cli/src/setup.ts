import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@convkit/core';
import '@convkit/backend-cpu';
import '@convkit/backend-wasm';
import '@convkit/backend-onednn';
import '@convkit/classifiers';
import '@convkit/segmentation';
import '@convkit/detection';
import { CliError } from './cli-error.js';

// tfjs prints a notice about tfjs-node on first use in Node; convkit users pick backends with --backend.
tf.enableProdMode();

/** Activates the requested backend, or the best available one, and returns its name. */
export async function selectBackend(name: string | undefined): Promise<string> {
  try {
    return await useBackend(name);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}
