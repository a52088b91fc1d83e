import * as tf from '@tensorflow/tfjs-core';
import { util } from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { isFloat, nativeKernel } from './kernel.js';
import { nativeDims, plainStrides } from '../backend.js';

/**
 * Backward kernels of this backend's own, for the gradients below: tfjs composes ReLU's gradient of
 * three kernels (step, cast, multiply) and batch norm's of about ten, each a pass over the activation;
 * oneDNN computes each in one primitive.
 */
export const RELU_GRAD = 'OnednnReluGrad';
export const BATCH_NORM_GRAD = 'OnednnBatchNormGrad';
export const BROADCAST = 'OnednnBroadcast';

/**
 * x broadcast to `shape` (x has its rank, with 1 on each broadcast axis) as one reorder from a layout
 * whose strides on those axes are 0, into the blocked layout the convolutions use where `shape` is an
 * image of whole channel blocks: the gradient of a sum or mean over N, H and W, in one pass.
 */
export const broadcastConfig = nativeKernel(BROADCAST, ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: TensorInfo };
  const shape = (attrs as { shape: number[] }).shape;
  const values = backend.floats(x);
  const rowMajor = plainStrides(x.shape);
  const native = nativeDims(x.shape);
  const strides = nativeDims(shape).map((d, i) => (native[i] === 1 && d !== 1 ? 0 : rowMajor[i]!));
  const src = backend.layout(`broadcast|${x.shape}|${shape}`, () => backend.addon.layoutStrided(nativeDims(shape), strides));
  const image = shape.length === 4 ? backend.imageLayout(shape) : -1;
  const dst = image >= 0 && backend.layoutSize(image) === 4 * util.sizeFromShape(shape) ? image : backend.plainLayout(shape);
  const out = backend.bufferFor(dst);
  backend.execute(backend.plan(`reorder|${src}|${dst}`, () => backend.addon.planReorder(src, dst)), [values, out]);
  return backend.output(shape.slice(), dst, out);
});

export const reluGradConfig = nativeKernel(RELU_GRAD, ({ inputs, backend }) => {
  const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
  const src = backend.view(x);
  const diffDst = backend.view(dy);
  const slots = backend.plan(`reluBwd|${src.layout}|${diffDst.layout}`, () => backend.addon.planReluBackward(src.layout, diffDst.layout));
  const dx = backend.bufferFor(src.layout);
  backend.execute(slots, [src.buffer, diffDst.buffer, dx]);
  return backend.output(x.shape.slice(), src.layout, dx);
});

/** Outputs [dx, dScale, dOffset]: the statistics are inputs, as in tfjs's FusedBatchNorm (their gradients follow from these). */
export const batchNormGradConfig = nativeKernel(BATCH_NORM_GRAD, ({ inputs, backend, attrs }) => {
  const { dy, x, mean, variance, scale } = inputs as Record<string, TensorInfo>;
  const epsilon = (attrs as { varianceEpsilon: number }).varianceEpsilon;
  const src = backend.view(x!);
  const diffDst = backend.view(dy!);
  const slots = backend.plan(`batchNormBwd|${src.layout}|${diffDst.layout}|${epsilon}`, () => backend.addon.planBatchNormBackward(src.layout, diffDst.layout, epsilon));
  const channels = x!.shape[3]!;
  const vector = backend.plainLayout([channels]);
  const [dx, dScale, dOffset] = [backend.bufferFor(src.layout), backend.bufferFor(vector), backend.bufferFor(vector)];
  backend.execute(slots, [src.buffer, diffDst.buffer, backend.floats(mean!), backend.floats(variance!), backend.floats(scale!), dx!, dScale!, dOffset!]);
  return [backend.output(x!.shape.slice(), src.layout, dx!), backend.output([channels], vector, dScale!), backend.output([channels], vector, dOffset!)];
});

function onednnActive(): boolean {
  return tf.getBackend() === 'onednn';
}

/**
 * Overrides tfjs's gradients of Relu and FusedBatchNorm (gradients are registered per kernel, for every
 * backend) with ones that run this backend's backward kernels while it is active, and tfjs's own
 * otherwise. Same values: batch norm's mean and variance gradients are tfjs's formulas, from dOffset
 * and dScale (the sums over N, H and W they share).
 */
export function registerOnednnGradients(): void {
  const relu = tf.getGradient(tf.Relu);
  const batchNorm = tf.getGradient(tf.FusedBatchNorm);
  const sum = tf.getGradient(tf.Sum);
  const mean = tf.getGradient(tf.Mean);
  if (!relu || !batchNorm || !sum || !mean || (relu as { onednn?: boolean }).onednn) return;
  // tfjs's: dy times ones of x's shape (a filled tensor and a multiply), then for the mean a division.
  // Here: the (small) dy divided first, then broadcast in one pass; the same values.
  const reductionGradient = (original: GradConfig, divide: boolean): GradConfig => ({
    ...original,
    onednn: true,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[], attrs: NamedAttrMap) => {
      const [x] = saved as [tf.Tensor];
      if (!onednnActive() || !isFloat(x, dy) || x.rank === 0 || x.rank > 12) return original.gradFunc(dy, saved, attrs);
      const axes = util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape);
      const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
      return {
        x: () => {
          const scaled = divide ? tf.div(dy, tf.scalar(count)) : dy;
          return tf.engine().runKernel(BROADCAST, { x: tf.reshape(scaled, kept) }, { shape: x.shape }) as tf.Tensor;
        },
      };
    },
  } as GradConfig);
  tf.registerGradient(reductionGradient(sum, false));
  tf.registerGradient(reductionGradient(mean, true));
  tf.registerGradient({
    ...relu,
    onednn: true,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[], attrs: NamedAttrMap) => {
      const [x] = saved;
      if (!onednnActive() || !isFloat(x, dy)) return relu.gradFunc(dy, saved, attrs);
      return { x: () => tf.engine().runKernel(RELU_GRAD, { dy, x: x! }) as tf.Tensor };
    },
  } as GradConfig);
  tf.registerGradient({
    ...batchNorm,
    onednn: true,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[], attrs: NamedAttrMap) => {
      const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
      const channels = x.shape[3];
      const perChannel = (t: tf.Tensor | undefined) => t !== undefined && t.rank === 1 && t.shape[0] === channels;
      if (!onednnActive() || x.rank !== 4 || !isFloat(x, dy, mean, variance, scale) || ![mean, variance, scale].every(perChannel)) {
        return batchNorm.gradFunc(dy, saved, attrs);
      }
      const epsilon = (attrs as { varianceEpsilon: number }).varianceEpsilon;
      const [dx, dScale, dOffset] = tf.engine().runKernel(BATCH_NORM_GRAD, { dy, x, mean, variance, scale: scale! }, { varianceEpsilon: epsilon }) as tf.Tensor[];
      const rsqrtVariance = tf.rsqrt(tf.add(variance, tf.scalar(epsilon)));
      return {
        x: () => dx!,
        // sum(dy * scale * -rsqrt(var + eps)) and sum(dy * scale * (x - mean) * -0.5 (var + eps)^-1.5), over N, H and W.
        mean: () => tf.mul(tf.mul(tf.neg(dOffset!), scale!), rsqrtVariance),
        variance: () => tf.mul(tf.mul(tf.mul(dScale!, scale!), tf.square(rsqrtVariance)), tf.scalar(-0.5)),
        scale: () => dScale!,
        offset: () => dOffset!,
      };
    },
  } as GradConfig);
}
