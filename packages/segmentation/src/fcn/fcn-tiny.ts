import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, ConvTranspose2d, ReLU, Sequential, registerModel } from '@convkit/core';
import { SHAPE_CLASSES } from '../datasets/shapes.js';
import { type Normalisation, Segmenter } from '../segmenter.js';
import { bilinearUpsamplingWeight } from './bilinear.js';
import { cropOffset, spatialLayersOf } from './coord-map.js';
import { cropTo } from './crop.js';

export interface FCNTinyOptions {
  numClasses?: number;
  /** Widths of the three stages (a 3x3 convolution, then a 4x4 stride-2 one). Default [8, 16, 32]. */
  widths?: [number, number, number];
}

/** The shapes scenes train as x - 0.5 for x in [0, 1]: `loss`, `segment` and the registry's preprocessing. */
const SHAPES_NORMALISATION: Normalisation = { mean: [0.5, 0.5, 0.5], std: [1, 1, 1] };

/**
 * FCN-8s in miniature, for training on small images in seconds: three stages of a 3x3 convolution and a
 * 4x4 stride-2 convolution (strides 2, 4, 8), a 1x1 scorer at stride 8, and 2x transposed convolutions
 * (4x4, padding 1, bilinear init) that add the stage-2 and stage-1 scores before the last 2x step.
 * Strided convolutions stand in for VGG's max pools: they sit on the same grid (a 4x4/2 window centred
 * half a pixel in, as a 2x2 pool), train faster on wasm (tfjs's MaxPoolGrad and BatchNorm gradients are the
 * slowest kernels there) and learn their own downsampling. The crops come from the same coordinate maps as
 * FCN's (all zero here). x: [N, H, W, 3] -> logits [N, H, W, numClasses].
 */
export class FCNTiny extends Segmenter {
  readonly numClasses: number;
  override readonly normalisation: Normalisation = SHAPES_NORMALISATION;
  readonly stages: Sequential[];
  readonly scores: Conv2d[];
  readonly upscores: ConvTranspose2d[];
  readonly #offsets: number[];

  constructor(options: FCNTinyOptions = {}) {
    super();
    const classes = (this.numClasses = options.numClasses ?? 4);
    const widths = options.widths ?? [8, 16, 32];
    let inChannels = 3;
    this.stages = widths.map((width, s) => {
      const stage = new Sequential(
        new Conv2d(inChannels, width, 3, { padding: 1 }), new ReLU(),
        new Conv2d(width, width, 4, { stride: 2, padding: 1 }), new ReLU(),
      );
      inChannels = width;
      return this.registerModule(`stage${s + 1}`, stage);
    });
    // scores[0] reads stage3 (stride 8), scores[1] stage2 (stride 4), scores[2] stage1 (stride 2).
    this.scores = [2, 1, 0].map((s) => this.registerModule(`score${s + 1}`, new Conv2d(widths[s]!, classes, 1)));
    this.upscores = [0, 1, 2].map((i) => {
      const layer = new ConvTranspose2d(classes, classes, 4, { stride: 2, padding: 1, bias: false });
      tf.tidy(() => layer.weight.assign(bilinearUpsamplingWeight(classes, 4)));
      return this.registerModule(`upscore${i + 1}`, layer);
    });
    this.#offsets = this.#cropOffsets();
  }

  #cropOffsets(): number[] {
    const spatialOf = spatialLayersOf;
    const toStage = (k: number) => this.stages.slice(0, k).flatMap(spatialOf);
    let fused = [...toStage(3), ...spatialOf(this.scores[0]!), ...spatialOf(this.upscores[0]!)];
    const offsets = [2, 1].map((k, i) => {
      const offset = cropOffset([...toStage(k), ...spatialOf(this.scores[i + 1]!)], fused);
      fused = [...fused, ...spatialOf(this.upscores[i + 1]!)];
      return offset;
    });
    return [...offsets, cropOffset(fused, [])];
  }

  forward(x: tf.Tensor): tf.Tensor {
    const [, height, width] = x.shape as number[];
    return tf.tidy(() => {
      // The strided convolutions round down: pad the bottom and right to a multiple of 8, crop back at the end.
      const padded = tf.pad(x, [[0, 0], [0, -height! & 7], [0, -width! & 7], [0, 0]]);
      const s1 = this.stages[0]!.call(padded);
      const s2 = this.stages[1]!.call(s1);
      const s3 = this.stages[2]!.call(s2);
      let h = this.upscores[0]!.call(this.scores[0]!.call(s3));
      for (const [i, skip] of [s2, s1].entries()) {
        const score = this.scores[i + 1]!.call(skip);
        // An odd size leaves the upsampled map one row longer than the skip: crop both to the overlap.
        const rows = Math.min(h.shape[1]!, score.shape[1]! - this.#offsets[i]!);
        const cols = Math.min(h.shape[2]!, score.shape[2]! - this.#offsets[i]!);
        h = tf.add(cropTo(h, 0, rows, cols, 'upscore'), cropTo(score, this.#offsets[i]!, rows, cols, `score${2 - i}`));
        h = this.upscores[i + 1]!.call(h);
      }
      return cropTo(h, this.#offsets[2]!, height!, width!, 'output');
    });
  }
}

export const fcnTiny = (options: FCNTinyOptions = {}): FCNTiny => new FCNTiny(options);

registerModel({
  name: 'fcn_tiny',
  task: 'segmentation',
  family: 'fcn',
  description: 'FCN-8s in miniature (three stages of 8/16/32 channels, two skips), trained in seconds on the shapes data set',
  inputShape: [32, 32, 3],
  minInputSize: 1,
  numClasses: 4,
  // The bundled weights' data set: the shapes scenes at their own size, background at 0.
  preprocessing: { colour: 'rgb', ...SHAPES_NORMALISATION },
  categories: SHAPE_CLASSES,
  create: (options = {}) => fcnTiny(options as FCNTinyOptions),
});
