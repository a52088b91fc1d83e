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
    const loss = beta > 0 ? tf.where(tf.less(diff, beta), tf.div(tf.mul(0.5, tf.square(diff)), beta), tf.sub(diff, 0.5 * beta)) : diff;
    return tf.mean(loss) as tf.Scalar;
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
  const cost = optimizer.minimize(loss, true, model.trainableVariables());
  if (!cost) throw new Error('the optimizer returned no loss');
  const [value] = await cost.data();
  cost.dispose();
  return value!;
}
