import * as tf from '@tensorflow/tfjs-core';
import { type ModelEntry, metaTensor, peakTensorBytes, resizedSize } from '@convkit/core';
import { CliError } from './cli-error.js';

/**
 * The most a forward pass may hold in tensors: tfjs-backend-wasm's heap cannot grow past 4 GiB, and the
 * same bound keeps the other backends' memory in reach of an ordinary machine.
 */
export const FORWARD_BYTES_BUDGET = 4 * 2 ** 30;

type Size = { width: number; height: number };
/** Tensors a command makes for one image of `size`, weights included: run on the meta backend, so it costs nothing. */
export type ForwardTrace = (size: Size) => void;

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/**
 * Refuses, before the image is decoded, an image whose forward pass would not fit FORWARD_BYTES_BUDGET,
 * naming the largest size of the same aspect ratio that does. Tensor memory grows with the pixels, so
 * two traces give bytes = fixed + perPixel * pixels; the size found from them is then checked by a trace.
 */
export async function checkForwardFits(entry: ModelEntry, path: string, size: Size, trace: ForwardTrace): Promise<void> {
  const bytes = await peakTensorBytes(() => trace(size));
  if (bytes <= FORWARD_BYTES_BUDGET) return;
  const half = { width: Math.max(1, Math.round(size.width / 2)), height: Math.max(1, Math.round(size.height / 2)) };
  const halfBytes = await peakTensorBytes(() => trace(half));
  const perPixel = (bytes - halfBytes) / (size.width * size.height - half.width * half.height);
  const fixed = bytes - perPixel * size.width * size.height;
  let scale = perPixel > 0 ? Math.sqrt(Math.max(0, FORWARD_BYTES_BUDGET - fixed) / (perPixel * size.width * size.height)) : 0;
  let fits: Size | null = null;
  for (let tries = 0; tries < 20 && scale > 0; tries++, scale *= 0.97) {
    const candidate = { width: Math.floor(size.width * scale), height: Math.floor(size.height * scale) };
    if (candidate.width < entry.minInputSize || candidate.height < entry.minInputSize) break;
    if ((await peakTensorBytes(() => trace(candidate))) <= FORWARD_BYTES_BUDGET) {
      fits = candidate;
      break;
    }
  }
  const what = `image '${path}' is ${size.width}x${size.height} pixels; ${entry.name}'s forward pass on it needs ${gib(bytes)} of tensors, ` +
    `more than the ${gib(FORWARD_BYTES_BUDGET)} a backend can hold (wasm's heap)`;
  throw new CliError(fits ? `${what}; resize it to ${fits.width}x${fits.height} or smaller first` : `${what}, at any size ${entry.name} takes`);
}

/**
 * What `segment` runs: the image through the entry's preprocessing ([1, h, w, 3] float32, resized where
 * the preprocessing says), the model at that size, its logits resized back to the image, softmax and argmax.
 */
export function segmentTrace(entry: ModelEntry, create: () => ReturnType<ModelEntry['create']>): ForwardTrace {
  return ({ width, height }) => {
    const model = create();
    try {
      model.eval();
      tf.tidy(() => {
        const resize = entry.preprocessing?.resize;
        const [h, w] = resize === undefined ? [height, width] : resizedSize(height, width, resize);
        let logits = model.call(metaTensor([1, h, w, 3])) as tf.Tensor4D;
        if (h !== height || w !== width) logits = tf.image.resizeBilinear(logits, [height, width], false, true);
        tf.softmax(logits, -1);
        tf.argMax(logits, -1);
      });
    } finally {
      model.dispose();
    }
  };
}

/**
 * What `detect` holds for an image of any size: the image as float32 and its resized copy, then the model
 * at its published input (the detectors resize to it, or the FPN's transform to near it).
 */
export function detectTrace(entry: ModelEntry, create: () => ReturnType<ModelEntry['create']>): ForwardTrace {
  const [inputHeight, inputWidth] = entry.inputShape;
  return ({ width, height }) => {
    const model = create();
    try {
      model.eval();
      tf.tidy(() => {
        const image = tf.div(metaTensor([1, height, width, 3]), 255) as tf.Tensor4D;
        tf.image.resizeBilinear(image, [inputHeight, inputWidth], false, true);
        model.call(metaTensor([1, inputHeight, inputWidth, 3]));
      });
    } finally {
      model.dispose();
    }
  };
}
