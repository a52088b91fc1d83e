import * as tf from '@tensorflow/tfjs-core';
import { Module, expectChannels, expectRank } from '../module.js';
import { LayerInputError } from '../errors.js';
import { shapeToString } from '../io/host-tensor.js';
import { hasBatchNormApplied, passThrough } from './fold-marks.js';

export interface BatchNorm2dOptions {
  eps?: number;
  /** Weight of the newest batch in the running statistics; null keeps a cumulative average. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/**
 * `torch.nn.BatchNorm2d` over the channel axis of x: [N, H, W, C]. In training mode it normalises with the
 * batch's biased variance and updates the running statistics with the unbiased one, as PyTorch does.
 */
export class BatchNorm2d extends Module {
  readonly eps: number;
  readonly momentum: number | null;
  readonly weight: tf.Variable | null;
  readonly bias: tf.Variable | null;
  readonly runningMean: tf.Variable | null;
  readonly runningVar: tf.Variable | null;
  readonly numBatchesTracked: tf.Variable | null;

  constructor(readonly numFeatures: number, options: BatchNorm2dOptions = {}) {
    super();
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    const affine = options.affine ?? true;
    this.weight = affine ? this.registerParameter('weight', tf.ones([numFeatures])) : null;
    this.bias = affine ? this.registerParameter('bias', tf.zeros([numFeatures])) : null;
    const track = options.trackRunningStats ?? true;
    this.runningMean = track ? this.registerBuffer('running_mean', tf.zeros([numFeatures])) : null;
    this.runningVar = track ? this.registerBuffer('running_var', tf.ones([numFeatures])) : null;
    this.numBatchesTracked = track ? this.registerBuffer('num_batches_tracked', tf.scalar(0, 'int32'), 'int64') : null;
  }

  forward(x: tf.Tensor): tf.Tensor {
    expectRank(x, 4, '[N, H, W, C]');
    expectChannels(x, this.numFeatures);
    // The convolution before this layer already applied it, with folded weights (fuseForInference).
    if (!this.training && hasBatchNormApplied(x, this)) return passThrough(x);
    const useBatchStats = this.training || !this.runningMean;
    return tf.tidy(() => {
      let mean: tf.Tensor;
      let variance: tf.Tensor;
      if (useBatchStats) {
        const count = x.size / this.numFeatures;
        if (this.training && count <= 1) throw new LayerInputError(`training needs more than one value per channel, got input shape ${shapeToString(x.shape)}`);
        ({ mean, variance } = tf.moments(x, [0, 1, 2]));
        if (this.training && this.runningMean && this.runningVar && this.numBatchesTracked) {
          this.numBatchesTracked.assign(tf.add(this.numBatchesTracked, tf.scalar(1, 'int32')));
          // The assignments are not on the gradient tape; only the batch statistics feed the loss.
          const m = this.momentum === null ? tf.reciprocal(tf.cast(this.numBatchesTracked, 'float32')) : tf.scalar(this.momentum);
          const keep = tf.sub(1, m);
          const unbiased = tf.mul(variance, count / (count - 1));
          this.runningMean.assign(tf.add(tf.mul(this.runningMean, keep), tf.mul(mean, m)));
          this.runningVar.assign(tf.add(tf.mul(this.runningVar, keep), tf.mul(unbiased, m)));
        }
      } else {
        mean = this.runningMean!;
        variance = this.runningVar!;
      }
      // tfjs's batchNorm cannot be differentiated without scale and offset, so affine=false passes ones and zeros.
      const scale = this.weight ?? tf.ones([this.numFeatures]);
      const offset = this.bias ?? tf.zeros([this.numFeatures]);
      return tf.batchNorm(x, mean, variance, offset, scale, this.eps);
    });
  }
}
