import * as tf from '@tensorflow/tfjs-core';
import {
  Conv2d, ConvTranspose2d, Dropout, IMAGENET_MEAN, IMAGENET_STD, MaxPool2d, ReLU, type HostTensor, type StateDict, VOC_CATEGORIES, registerModel,
} from '@convkit/core';
import { bilinearUpsamplingWeight } from './bilinear.js';
import { type SpatialLayer, cropOffset, spatialLayersOf } from './coord-map.js';
import { cropTo } from './crop.js';
import { Segmenter } from '../segmenter.js';

export type FcnVariant = '32s' | '16s' | '8s';

/** VGG16 (configuration D) as five stages of 3x3 convolutions, each stage closed by a 2x2 max pool. */
export const FCN_VGG16_STAGES: readonly (readonly number[])[] = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]];

export interface FCNOptions {
  numClasses?: number;
  /** Conv widths per stage; five stages. Narrower tables give the same topology for tests. Default VGG16. */
  stages?: readonly (readonly number[])[];
  /** Width of fc6 and fc7. Default 4096. */
  fcChannels?: number;
  dropout?: number;
}

/** The crops of the Caffe reference, derived from the layers' coordinate maps rather than written down. */
export interface FcnCropOffsets {
  /** score_pool4 cropped to upscore2 (16s, 8s): 5 for VGG16. */
  pool4?: number;
  /** score_pool3 cropped to upscore_pool4 (8s): 9. */
  pool3?: number;
  /** The last upsampling cropped to the input: 19 (32s), 27 (16s), 31 (8s). */
  output: number;
}

const spatial = (m: Conv2d | MaxPool2d | ConvTranspose2d): SpatialLayer => spatialLayersOf(m)[0]!;

/**
 * Fully convolutional network (Long, Shelhamer & Darrell 2015) on VGG16, as the Caffe reference
 * (voc-fcn32s/16s/8s): conv1_1 padded by 100 so that any input survives the five pools and the 7x7 fc6,
 * fc6/fc7 as 7x7 and 1x1 convolutions, a 1x1 class scorer, transposed convolutions initialised to bilinear
 * upsampling, and (16s, 8s) skips from pool4 and pool3 added after Caffe's crops. Max pools round up, as Caffe.
 * Parameter names are the reference's (conv1_1 ... conv5_3, fc6, fc7, score_fr, score_pool4, upscore2, ...).
 * x: [N, H, W, 3], any H, W >= 1 -> logits [N, H, W, numClasses].
 */
export class FCN extends Segmenter {
  readonly numClasses: number;
  readonly offsets: FcnCropOffsets;
  readonly #stages: { convs: Conv2d[]; pool: MaxPool2d }[] = [];
  readonly relu = this.registerModule('relu', new ReLU());
  readonly fc6: Conv2d;
  readonly fc7: Conv2d;
  readonly drop6: Dropout;
  readonly drop7: Dropout;
  readonly scoreFr: Conv2d;
  readonly scorePool4: Conv2d | null = null;
  readonly scorePool3: Conv2d | null = null;
  /** The upsampling layers from coarse to fine: [upscore] (32s), [upscore2, upscore16], [upscore2, upscore_pool4, upscore8]. */
  readonly upscores: ConvTranspose2d[];

  constructor(readonly variant: FcnVariant, options: FCNOptions = {}) {
    super();
    const classes = (this.numClasses = options.numClasses ?? 21);
    const stages = options.stages ?? FCN_VGG16_STAGES;
    if (stages.length !== 5) throw new Error(`FCN takes five VGG stages, got ${stages.length}`);
    const fcChannels = options.fcChannels ?? 4096;
    let inChannels = 3;
    stages.forEach((widths, s) => {
      const convs = widths.map((width, i) => {
        const conv = this.registerModule(`conv${s + 1}_${i + 1}`, new Conv2d(inChannels, width, 3, { padding: s === 0 && i === 0 ? 100 : 1 }));
        inChannels = width;
        return conv;
      });
      this.#stages.push({ convs, pool: this.registerModule(`pool${s + 1}`, new MaxPool2d(2, { stride: 2, ceilMode: true })) });
    });
    this.fc6 = this.registerModule('fc6', new Conv2d(inChannels, fcChannels, 7));
    this.drop6 = this.registerModule('drop6', new Dropout(options.dropout ?? 0.5));
    this.fc7 = this.registerModule('fc7', new Conv2d(fcChannels, fcChannels, 1));
    this.drop7 = this.registerModule('drop7', new Dropout(options.dropout ?? 0.5));
    this.scoreFr = this.registerModule('score_fr', zeroed(new Conv2d(fcChannels, classes, 1)));
    const up = (name: string, factor: number) => {
      const layer = new ConvTranspose2d(classes, classes, 2 * factor, { stride: factor, bias: false });
      tf.tidy(() => layer.weight.assign(bilinearUpsamplingWeight(classes, 2 * factor)));
      return this.registerModule(name, layer);
    };
    const width = (s: number) => stages[s]![stages[s]!.length - 1]!;
    if (variant === '8s') this.scorePool3 = this.registerModule('score_pool3', zeroed(new Conv2d(width(2), classes, 1)));
    if (variant !== '32s') this.scorePool4 = this.registerModule('score_pool4', zeroed(new Conv2d(width(3), classes, 1)));
    if (variant === '32s') this.upscores = [up('upscore', 32)];
    else if (variant === '16s') this.upscores = [up('upscore2', 2), up('upscore16', 16)];
    else this.upscores = [up('upscore2', 2), up('upscore8', 8), up('upscore_pool4', 2)];
    if (variant === '8s') this.upscores = [this.upscores[0]!, this.upscores[2]!, this.upscores[1]!];
    this.offsets = this.#cropOffsets();
  }

  /** Caffe's crop offsets from the coordinate maps of the layers between the data and each blob. */
  #cropOffsets(): FcnCropOffsets {
    const toPool = (k: number): SpatialLayer[] => this.#stages.slice(0, k).flatMap((s) => [...s.convs.map(spatial), spatial(s.pool)]);
    const scoreFr = [...toPool(5), spatial(this.fc6), spatial(this.fc7), spatial(this.scoreFr)];
    const [first, second, third] = this.upscores.map(spatial);
    if (this.variant === '32s') return { output: cropOffset([...scoreFr, first!], []) };
    const upscore2 = [...scoreFr, first!];
    const pool4 = cropOffset([...toPool(4), spatial(this.scorePool4!)], upscore2);
    if (this.variant === '16s') return { pool4, output: cropOffset([...upscore2, second!], []) };
    const upscorePool4 = [...upscore2, second!];
    const pool3 = cropOffset([...toPool(3), spatial(this.scorePool3!)], upscorePool4);
    return { pool4, pool3, output: cropOffset([...upscorePool4, third!], []) };
  }

  forward(x: tf.Tensor): tf.Tensor {
    const [, height, width] = x.shape as number[];
    return tf.tidy(() => {
      const pools: tf.Tensor[] = [];
      let h = x;
      for (const stage of this.#stages) {
        for (const conv of stage.convs) h = this.relu.call(conv.call(h));
        h = stage.pool.call(h);
        pools.push(h);
      }
      h = this.drop6.call(this.relu.call(this.fc6.call(h)));
      h = this.drop7.call(this.relu.call(this.fc7.call(h)));
      h = this.scoreFr.call(h);
      h = this.upscores[0]!.call(h);
      if (this.scorePool4) {
        const skip = cropTo(this.scorePool4.call(pools[3]!), this.offsets.pool4!, h.shape[1]!, h.shape[2]!, 'score_pool4');
        h = this.upscores[1]!.call(tf.add(h, skip));
      }
      if (this.scorePool3) {
        const skip = cropTo(this.scorePool3.call(pools[2]!), this.offsets.pool3!, h.shape[1]!, h.shape[2]!, 'score_pool3');
        h = this.upscores[2]!.call(tf.add(h, skip));
      }
      return cropTo(h, this.offsets.output, height!, width!, 'output');
    });
  }
}

/** The paper zero-initialises every class scoring layer. */
function zeroed(conv: Conv2d): Conv2d {
  tf.tidy(() => {
    conv.weight.assign(tf.zerosLike(conv.weight));
    conv.bias?.assign(tf.zerosLike(conv.bias));
  });
  return conv;
}

export const fcn32sVgg16 = (options: FCNOptions = {}): FCN => new FCN('32s', options);
export const fcn16sVgg16 = (options: FCNOptions = {}): FCN => new FCN('16s', options);
export const fcn8sVgg16 = (options: FCNOptions = {}): FCN => new FCN('8s', options);

/**
 * A VGG16 classifier's state dict (torchvision names: features.0 ... features.28, classifier.0, classifier.3;
 * PyTorch layouts) as FCN weights: the 13 convolutions renamed conv1_1 ... conv5_3, and the first two
 * fully-connected layers reshaped into the convolutions fc6 ([4096, 25088] -> [4096, 512, 7, 7], the same
 * numbers in PyTorch's flatten order) and fc7 ([4096, 4096] -> [4096, 4096, 1, 1]). The 1000-way classifier.6
 * is dropped. Load the result with `loadStateDict(dict, { strict: false })`: the score and upscore layers
 * keep their initialisation (zero and bilinear).
 */
export function fcnStateDictFromVgg16(vgg: StateDict, stages: readonly (readonly number[])[] = FCN_VGG16_STAGES): StateDict {
  const out: StateDict = new Map();
  const take = (key: string): HostTensor => {
    const t = vgg.get(key);
    if (!t) throw new Error(`VGG16 state dict has no '${key}'; expected torchvision's vgg16 names (features.N, classifier.N)`);
    return t;
  };
  let index = 0;
  let channels = 3;
  stages.forEach((widths, s) => {
    widths.forEach((width, i) => {
      const weight = take(`features.${index}.weight`);
      if (weight.shape.join() !== [width, channels, 3, 3].join()) {
        throw new Error(`'features.${index}.weight' has shape [${weight.shape.join(', ')}], expected [${width}, ${channels}, 3, 3] for conv${s + 1}_${i + 1}`);
      }
      out.set(`conv${s + 1}_${i + 1}.weight`, weight);
      out.set(`conv${s + 1}_${i + 1}.bias`, take(`features.${index}.bias`));
      channels = width;
      index += 2;
    });
    index += 1;
  });
  const fc6 = take('classifier.0.weight');
  const fc7 = take('classifier.3.weight');
  const k2 = (fc6.shape[1] ?? 0) / channels;
  const k = Math.round(Math.sqrt(k2));
  if (fc6.shape.length !== 2 || k * k !== k2) {
    throw new Error(`'classifier.0.weight' has shape [${fc6.shape.join(', ')}], expected [out, ${channels} * 7 * 7]`);
  }
  if (fc7.shape.length !== 2 || fc7.shape[1] !== fc6.shape[0]) {
    throw new Error(`'classifier.3.weight' has shape [${fc7.shape.join(', ')}], expected [out, ${fc6.shape[0]}]`);
  }
  out.set('fc6.weight', { ...fc6, shape: [fc6.shape[0]!, channels, k, k] });
  out.set('fc6.bias', take('classifier.0.bias'));
  out.set('fc7.weight', { ...fc7, shape: [fc7.shape[0]!, fc7.shape[1]!, 1, 1] });
  out.set('fc7.bias', take('classifier.3.bias'));
  return out;
}

/** Parameter counts at 21 classes, equal to those of pytorch-fcn's port of the Caffe nets (PyTorch 1.13). */
const VARIANTS = [
  { name: 'fcn32s_vgg16', variant: '32s', skips: 'no skips, one 32x upsampling', params: 136_152_917 },
  { name: 'fcn16s_vgg16', variant: '16s', skips: 'a pool4 skip, 2x then 16x upsampling', params: 134_815_994 },
  { name: 'fcn8s_vgg16', variant: '8s', skips: 'pool4 and pool3 skips, 2x, 2x then 8x upsampling', params: 134_489_759 },
] as const;

for (const v of VARIANTS) {
  registerModel({
    name: v.name,
    task: 'segmentation',
    family: 'fcn',
    description: `FCN-${v.variant} on VGG16 (Long et al. 2015, the Caffe reference): ${v.skips}`,
    inputShape: [500, 500, 3],
    // conv1_1's padding of 100 carries even a 1x1 input through the five pools and fc6 (checked in fcn-vgg.test.ts).
    minInputSize: 1,
    numClasses: 21,
    // The paper scores VOC images at their own size (at most 500 pixels a side), so no resize; ImageNet's mean
    // and std, as the torchvision VGG16 weights that fcnStateDictFromVgg16 starts from expect.
    preprocessing: { colour: 'rgb', mean: IMAGENET_MEAN, std: IMAGENET_STD },
    categories: VOC_CATEGORIES,
    reference: { params: v.params, source: "the Caffe reference voc-fcn nets, counted with pytorch-fcn's port (wkentaro/pytorch-fcn) in PyTorch 1.13" },
    create: (options = {}) => new FCN(v.variant, options as FCNOptions),
  });
}
