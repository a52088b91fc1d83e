import * as tf from '@tensorflow/tfjs-core';

interface WebglInternals {
  readSync(dataId: object): unknown;
  texData: { get(dataId: object): { values?: unknown } | undefined };
}

/**
 * Runs `fn` on the active webgl backend counting blocking GPU readbacks: `readSync` of data that lives
 * only in a texture (what `dataSync`, `arraySync` and some kernels' CPU fallbacks do). Such a read stalls
 * the page until the GPU finishes everything queued; `await t.data()` does not.
 */
export async function countBlockingReads<T>(fn: () => Promise<T>): Promise<{ result: T; blockingReads: number }> {
  if (tf.getBackend() !== 'webgl') throw new Error(`countBlockingReads needs the webgl backend active, not ${tf.getBackend()}`);
  const backend = tf.backend() as unknown as WebglInternals;
  const readSync = backend.readSync;
  let blockingReads = 0;
  backend.readSync = function (this: WebglInternals, dataId: object) {
    if (this.texData.get(dataId)?.values == null) blockingReads++;
    return readSync.call(this, dataId);
  };
  try {
    return { result: await fn(), blockingReads };
  } finally {
    backend.readSync = readSync;
  }
}

/** Output values of one eval-mode forward pass, read back asynchronously. */
export async function forwardValues(model: { call(x: tf.Tensor): unknown }, x: tf.Tensor): Promise<Float32Array> {
  const y = model.call(x);
  if (!(y instanceof tf.Tensor)) throw new Error('the model returned several outputs in eval mode; expected one tensor');
  try {
    return (await y.data()) as Float32Array;
  } finally {
    y.dispose();
  }
}
