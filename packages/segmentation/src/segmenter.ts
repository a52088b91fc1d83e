import * as tf from '@tensorflow/tfjs-core';
import { IMAGENET_MEAN, IMAGENET_STD, Module, crossEntropy } from '@convkit/core';
import { type ImageRgb, type Prediction, argmaxClassMap, classProbabilities } from './predict.js';

/** What a segmenter takes: 8-bit RGB images of any sizes, or a batch [N, H, W, 3] float32 in [0, 1]. */
export type SegmenterImages = readonly ImageRgb[] | tf.Tensor4D;

/** Per-pixel targets: [N, H, W] int32 class indices; 255 marks pixels that count for nothing (VOC's border). */
export type SegmentationMasks = tf.Tensor3D;

/** A batch's losses by name: `out` (the main head), and `aux` (weighted 0.5, torchvision's) where the model has one. */
export type SegmentationLosses = Record<string, tf.Scalar>;

/** The input normalisation a model's weights expect: (x - mean) / std for x in [0, 1]. */
export interface Normalisation {
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** torchvision's label for pixels the loss ignores (the reference scripts' `ignore_index`). */
export const IGNORE_INDEX = 255;

/**
 * The one surface every segmentation model has: images in, class maps out, and the training losses of a
 * batch of masks. forward takes normalised images [N, H, W, 3] -> logits [N, H, W, numClasses] (in
 * training mode, models with an auxiliary head return { out, aux }).
 */
export abstract class Segmenter<Output extends tf.Tensor | { out: tf.Tensor4D; aux: tf.Tensor4D } = tf.Tensor> extends Module<tf.Tensor, Output> {
  abstract readonly numClasses: number;
  /** ImageNet's statistics, which torchvision's and the Caffe FCNs' weights expect. */
  readonly normalisation: Normalisation = { mean: IMAGENET_MEAN, std: IMAGENET_STD };

  /** x [N, H, W, 3] in [0, 1] -> the model's input, normalised. */
  normalise(x: tf.Tensor4D): tf.Tensor4D {
    const { mean, std } = this.normalisation;
    return tf.tidy(() => tf.div(tf.sub(x, tf.tensor1d([...mean])), tf.tensor1d([...std])));
  }

  /** Class map and softmax probabilities per image, at its own size (eval mode). */
  async segment(images: SegmenterImages): Promise<Prediction[]> {
    const batches = images instanceof tf.Tensor ? [images] : images.map((image) => imageTensor(image));
    try {
      const out: Prediction[] = [];
      for (const batch of batches) out.push(...await this.#predict(() => this.normalise(batch), [batch.shape[1], batch.shape[2]]));
      return out;
    } finally {
      if (!(images instanceof tf.Tensor)) tf.dispose(batches);
    }
  }

  /**
   * Class maps and probabilities (eval mode) of images already through their registry entry's
   * preprocessing (`preprocess(entry, image)`: normalised, perhaps resized): x [N, h, w, 3] -> predictions
   * at `size` [height, width], the logits resized bilinearly (half-pixel centres, as torchvision's heads do)
   * where h, w differ from it.
   */
  async segmentPreprocessed(x: tf.Tensor4D, size: readonly [number, number] = [x.shape[1], x.shape[2]]): Promise<Prediction[]> {
    return this.#predict(() => x, size);
  }

  async #predict(input: () => tf.Tensor4D, [height, width]: readonly [number, number]): Promise<Prediction[]> {
    const wasTraining = this.training;
    this.eval();
    try {
      const [classMap, probabilities] = tf.tidy(() => {
        const logits: unknown = this.call(input());
        if (!(logits instanceof tf.Tensor) || logits.rank !== 4) throw new Error(`${this.typeName} did not return logits [N, H, W, C]`);
        const sized = logits.shape[1] === height && logits.shape[2] === width ? logits : tf.image.resizeBilinear(logits as tf.Tensor4D, [height, width], false, true);
        return [argmaxClassMap(sized), classProbabilities(sized)];
      });
      const [n, , , numClasses] = probabilities.shape;
      const [classes, probs] = [(await classMap.data()) as Int32Array, (await probabilities.data()) as Float32Array];
      tf.dispose([classMap, probabilities]);
      return Array.from({ length: n }, (_, i) => ({
        height, width, numClasses,
        classMap: classes.slice(i * height * width, (i + 1) * height * width),
        probabilities: probs.slice(i * height * width * numClasses, (i + 1) * height * width * numClasses),
      }));
    } finally {
      this.train(wasTraining);
    }
  }

  /**
   * Per-pixel cross entropy of a batch, synchronous so that it can sit inside `trainStep`: images
   * [N, H, W, 3] in [0, 1] (normalised here), masks [N, H, W] int32. Call it inside tf.tidy or a gradient.
   */
  loss(images: tf.Tensor4D, masks: SegmentationMasks): SegmentationLosses {
    const [n, h, w] = images.shape;
    if (masks.shape[0] !== n || masks.shape[1] !== h || masks.shape[2] !== w) {
      throw new Error(`${this.typeName}.loss: masks [${masks.shape}] do not match images [${images.shape}]; give one [H, W] mask per image`);
    }
    return tf.tidy(() => {
      const labels = tf.reshape(masks, [-1]) as tf.Tensor1D;
      const pixelLoss = (logits: tf.Tensor) => crossEntropy(tf.reshape(logits, [-1, this.numClasses]) as tf.Tensor2D, labels, { ignoreIndex: IGNORE_INDEX });
      const output: tf.Tensor | { out: tf.Tensor4D; aux: tf.Tensor4D } = this.call(this.normalise(images));
      const losses: SegmentationLosses = {};
      if (output instanceof tf.Tensor) losses.out = pixelLoss(output);
      else [losses.out, losses.aux] = [pixelLoss(output.out), tf.mul(0.5, pixelLoss(output.aux)) as tf.Scalar];
      return losses;
    });
  }
}

/** The sum of a batch's named losses, in their order. */
export function totalSegmentationLoss(losses: SegmentationLosses): tf.Scalar {
  const parts = Object.values(losses);
  if (parts.length === 0) throw new Error('totalSegmentationLoss: the model returned no losses');
  return tf.tidy(() => parts.slice(1).reduce((sum, part) => tf.add(sum, part) as tf.Scalar, parts[0]!));
}

/** Whether a module is a segmenter (`segment` and `loss`). */
export function isSegmenter(model: unknown): model is Segmenter<tf.Tensor | { out: tf.Tensor4D; aux: tf.Tensor4D }> {
  const m = model as Partial<Segmenter> | null;
  return typeof m?.segment === 'function' && typeof m.loss === 'function' && typeof m.numClasses === 'number';
}

/** An 8-bit RGB image -> [1, H, W, 3] float32 in [0, 1]. */
function imageTensor(image: ImageRgb): tf.Tensor4D {
  const { height, width } = image;
  if (image.data.length !== height * width * 3) throw new Error(`image data has ${image.data.length} bytes, expected ${height}x${width}x3`);
  return tf.tidy(() => tf.div(tf.tensor4d(image.data, [1, height, width, 3], 'float32'), 255));
}
