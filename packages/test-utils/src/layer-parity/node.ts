import { readFile } from 'node:fs/promises';
import { type LayerFixtures, loadLayerFixtures } from './fixtures.js';

/** The fixture folder in this repository: packages/core/src/layers/fixtures (the same from src/ and dist/). */
export const LAYER_FIXTURES = new URL('../../../core/src/layers/fixtures/', import.meta.url);

/**
 * core's PyTorch layer fixtures read from disk, in Node only (the browser page fetches them):
 * `runLayerParity('onednn', await readLayerFixtures())`.
 */
export function readLayerFixtures(folder: URL = LAYER_FIXTURES): Promise<LayerFixtures> {
  return loadLayerFixtures(async (file) => new Uint8Array(await readFile(new URL(file, folder))));
}
