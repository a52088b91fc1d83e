import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Module, Sequential, defaultUniform } from '@convkit/core';

/**
 * torchvision.ops.FeaturePyramidNetwork (Lin et al. 2017) with LastLevelMaxPool: a 1x1 lateral conv per
 * input level (`inner_blocks.i.0`), a top-down pathway that adds each coarser map, upsampled by nearest
 * neighbour to the finer one's size, and a 3x3 output conv per level (`layer_blocks.i.0`); then the
 * extra 'pool' level, the coarsest output subsampled by a 1x1 max-pool of stride 2.
 * features: finest first, [N, H_i, W_i, inChannels[i]] -> the same levels at outChannels, plus 'pool'.
 */
export class FeaturePyramidNetwork extends Module<tf.Tensor4D[], tf.Tensor4D[]> {
  readonly innerBlocks: Sequential;
  readonly layerBlocks: Sequential;

  constructor(readonly inChannels: readonly number[], readonly outChannels: number, options: { initWeights?: boolean } = {}) {
    super();
    // Conv2dNormActivation without norm and activation: a Sequential holding one conv, hence the `.0`.
    this.innerBlocks = this.registerModule('inner_blocks', new Sequential(...inChannels.map((c) => new Sequential(new Conv2d(c, outChannels, 1)))));
    this.layerBlocks = this.registerModule('layer_blocks', new Sequential(...inChannels.map(() => new Sequential(new Conv2d(outChannels, outChannels, 3, { padding: 1 })))));
    if (options.initWeights ?? true) {
      // torchvision: kaiming_uniform_(a=1), i.e. +-sqrt(3 / fan_in), and zero biases.
      for (const [, m] of this.namedModules()) {
        if (!(m instanceof Conv2d)) continue;
        const [kh, kw, cin] = m.weight.shape as [number, number, number, number];
        tf.tidy(() => {
          m.weight.assign(tf.mul(defaultUniform(m.weight.shape, kh * kw * cin), Math.sqrt(3)));
          m.bias?.assign(tf.zerosLike(m.bias));
        });
      }
    }
  }

  /** Level names as torchvision returns them: '0', '1', ... then 'pool'. */
  get names(): string[] {
    return [...this.inChannels.map((_, i) => String(i)), 'pool'];
  }

  forward(features: tf.Tensor4D[]): tf.Tensor4D[] {
    if (features.length !== this.inChannels.length) {
      throw new Error(`FeaturePyramidNetwork takes ${this.inChannels.length} levels, got ${features.length}`);
    }
    return tf.tidy(() => {
      const inner = (i: number) => this.innerBlocks.layers[i]!.call(features[i]!) as tf.Tensor4D;
      const layer = (i: number, x: tf.Tensor4D) => this.layerBlocks.layers[i]!.call(x) as tf.Tensor4D;
      const top = features.length - 1;
      let last = inner(top);
      const results = [layer(top, last)];
      for (let i = top - 1; i >= 0; i--) {
        const lateral = inner(i);
        const [, h, w] = lateral.shape;
        // F.interpolate(mode='nearest') to the finer size: source index floor(dst * in / out), as tfjs without half-pixel centres.
        last = tf.add(lateral, tf.image.resizeNearestNeighbor(last, [h, w], false, false));
        results.unshift(layer(i, last));
      }
      results.push(tf.maxPool(results[top]!, 1, 2, 'valid'));
      return results;
    });
  }
}
