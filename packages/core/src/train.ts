import * as tf from '@tensorflow/tfjs-core';
import type { Module } from './module.js';

/**
 * Mean cross-entropy of logits: [N, C] against integer class labels: [N] (int32), as
 * `torch.nn.functional.cross_entropy`; labels equal to `ignoreIndex` do not count.
 */
export function crossEntropy(logits: tf.Tensor, labels: tf.Tensor, options: { ignoreIndex?: number } = {}): tf.Scalar {
  if (logits.rank !== 2 || labels.rank !== 1 || labels.shape[0] !== logits.shape[0]) {
    throw new Error(`crossEntropy takes logits [N, C] and labels [N], got [${logits.shape}] and [${labels.shape}]`);
  }
  return tf.tidy(() => {
    const classes = logits.shape[1]!;
    const ignore = options.ignoreIndex ?? -100;
    const valid = tf.cast(tf.notEqual(labels, ignore), 'float32');
    const safeLabels = tf.where(tf.cast(valid, 'bool'), labels, tf.zerosLike(labels));
    const logProbs = tf.logSoftmax(logits);
    const picked = tf.sum(tf.mul(logProbs, tf.oneHot(tf.cast(safeLabels, 'int32'), classes)), 1);
    return tf.div(tf.neg(tf.sum(tf.mul(picked, valid))), tf.maximum(tf.sum(valid), 1)) as tf.Scalar;
  });
}

/** Mean Huber-style smooth L1 loss, as `torch.nn.functional.smooth_l1_loss` (beta = 1 by default). */
export function smoothL1Loss(prediction: tf.Tensor, target: tf.Tensor, beta = 1): tf.Scalar {
  return tf.tidy(() => {
    const diff = tf.abs(tf.sub(prediction, target));
    if (!(beta > 0)) return tf.mean(diff) as tf.Scalar;
    // 0.5 m^2 / beta + (|d| - m) with m = min(|d|, beta) is PyTorch's two branches in one expression;
    // a `where` on |d| < beta would put a Less on the gradient tape, and tfjs has no gradient for Less.
    const m = tf.minimum(diff, beta);
    return tf.mean(tf.add(tf.div(tf.mul(0.5, tf.square(m)), beta), tf.sub(diff, m))) as tf.Scalar;
  });
}

export function mseLoss(prediction: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(prediction, target)) as tf.Scalar);
}

/**
 * One optimisation step on `model`'s trainable variables: computes `loss()` (which calls the model in
 * training mode), back-propagates, updates, and resolves to the loss value. Leaves no tensors behind.
 */
export async function trainStep(model: Module<any, any>, optimizer: tf.Optimizer, loss: () => tf.Scalar): Promise<number> {
  let cost: tf.Scalar | null;
  try {
    cost = optimizer.minimize(loss, true, model.trainableVariables());
  } catch (error) {
    const kernel = /gradient function not found for (\w+)/.exec(String((error as Error)?.message))?.[1];
    if (kernel === undefined) throw error;
    throw new Error(
      `the loss cannot be differentiated: tfjs has no gradient for its kernel '${kernel}'; build the loss from differentiable ops`,
      { cause: error },
    );
  }
  if (!cost) throw new Error('the optimizer returned no loss');
  const [value] = await cost.data();
  cost.dispose();
  return value!;
}
