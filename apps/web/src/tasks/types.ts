import type * as tf from '@tensorflow/tfjs-core';
import type { ModelEntry, Module } from '@convkit/core';
import type { Truth } from '../bundled.js';

/** What a view's `run` returns: its result and the size the model ran at. */
export interface Ran {
  /** [H, W] of the model's input. */
  input: readonly [number, number];
}

/**
 * How the demo runs one task and shows its output. `run` prepares the image as the model expects, runs it
 * in eval mode and reads the output back asynchronously (never `dataSync`: it would stall the page on
 * webgl), disposing every tensor it made; `render` draws the result into the result area, with the image
 * when the task draws on it (masks, boxes), and compares it with the sample's ground truth when there is one.
 */
export interface TaskView<R extends Ran> {
  run(model: Module<tf.Tensor, unknown>, entry: ModelEntry, image: ImageBitmap): Promise<R>;
  render(result: R, container: HTMLElement, image: ImageBitmap, truth: Truth | undefined): Promise<void>;
}
