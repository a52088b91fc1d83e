import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { CudaBackend } from '../backend.js';
import { ACTIVATION } from '../native/ops.js';

/**
 * Why the fused epilogue cannot run natively, or null: the bias and PReLU weights are applied by
 * flat index modulo their size, which is the broadcast only when they hold 1 or `channels` values.
 */
export function unsupportedEpilogue(channels: number, activation: string | undefined, bias?: TensorInfo, prelu?: TensorInfo): string | null {
  if (!((activation ?? 'linear') in ACTIVATION)) return `activation '${activation}'`;
  for (const [name, t] of [['bias', bias], ['PReLU weights', prelu]] as const) {
    if (!t) continue;
    if (t.dtype !== 'float32') return `${t.dtype} ${name}`;
    const size = tf.util.sizeFromShape(t.shape);
    if (size !== 1 && (size !== channels || t.shape[t.shape.length - 1] !== channels)) return `${name} of shape [${t.shape}]`;
  }
  return null;
}

/** y = activation(y + bias), in place on the freshly computed y. */
export function applyEpilogue(backend: CudaBackend, y: TensorInfo, activation: string | undefined, leakyreluAlpha: number | undefined, bias?: TensorInfo, prelu?: TensorInfo): void {
  const act = ACTIVATION[(activation ?? 'linear') as keyof typeof ACTIVATION];
  if (!bias && act === ACTIVATION.linear) return;
  const n = tf.util.sizeFromShape(y.shape);
  if (n === 0) return;
  const ptr = backend.ptr(y);
  backend.addon.biasActivation(ptr, bias ? backend.ptr(bias) : 0, bias ? tf.util.sizeFromShape(bias.shape) : 1, act, prelu ? backend.ptr(prelu) : 0,
    prelu ? tf.util.sizeFromShape(prelu.shape) : 1, leakyreluAlpha ?? 0.2, ptr, n);
}
