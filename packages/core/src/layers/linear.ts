import * as tf from '@tensorflow/tfjs-core';
import { Module, expectChannels } from '../module.js';
import { defaultUniform } from '../init.js';
import { markFolded } from './fold-marks.js';

/**
 * Fully-connected layer with `torch.nn.Linear` semantics.
 * x: [..., inFeatures] -> [..., outFeatures]. weight: [inFeatures, outFeatures] (PyTorch: [out, in]).
 */
export class Linear extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;
  /** Whether the ReLU after this layer is fused into its matrix multiply for inference (see `fuseForInference`). */
  fusedRelu = false;

  constructor(readonly inFeatures: number, readonly outFeatures: number, options: { bias?: boolean } = {}) {
    super();
    this.weight = this.registerParameter('weight', defaultUniform([inFeatures, outFeatures], inFeatures), 'linear');
    this.bias = options.bias === false ? null : this.registerParameter('bias', defaultUniform([outFeatures], inFeatures));
  }

  forward(x: tf.Tensor): tf.Tensor {
    expectChannels(x, this.inFeatures, 'features');
    // As Conv2d's fold: in eval mode off the gradient tape only, so that train() gives the layers apart.
    const relu = this.fusedRelu && !this.training && tf.engine().state.gradientDepth === 0;
    return tf.tidy(() => {
      const rows = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, this.inFeatures]) as tf.Tensor2D;
      const y = tf.fused.matMul({ a: rows, b: this.weight as tf.Tensor2D, bias: this.bias ?? undefined, activation: relu ? 'relu' : 'linear' });
      return markFolded(x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), this.outFeatures]), null, relu);
    });
  }

  override countMacs(inputs: number[][]): number {
    const shape = inputs[0]!;
    return (shape.reduce((a, b) => a * b, 1) / this.inFeatures) * this.inFeatures * this.outFeatures;
  }
}
