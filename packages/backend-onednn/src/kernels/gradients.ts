import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { isFloat, nativeKernel } from './kernel.js';

/**
 * Backward kernels of this backend's own, for the gradients below: tfjs composes ReLU's gradient of
 * three kernels (step, cast, multiply) and batch norm's of about ten, each a pass over the activation;
 * oneDNN computes each in one primitive.
 */
export const RELU_GRAD = 'OnednnReluGrad';
export const BATCH_NORM_GRAD = 'OnednnBatchNormGrad';

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
  if (!relu || !batchNorm || (relu as { onednn?: boolean }).onednn) return;
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
