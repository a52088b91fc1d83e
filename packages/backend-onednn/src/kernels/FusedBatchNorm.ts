import { FusedBatchNorm } from '@tensorflow/tfjs-core';
import type { FusedBatchNormAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { isFloat, nativeKernel } from './kernel.js';
import { ACTIVATION } from '../native/addon.js';

const constants = new Map<string, Float32Array>();
function filled(length: number, value: number): Float32Array {
  const key = `${length}|${value}`;
  let array = constants.get(key);
  if (!array) constants.set(key, (array = new Float32Array(length).fill(value)));
  return array;
}

/** Batch norm with given statistics (tfjs computes training statistics with other kernels), in x's layout. */
export const fusedBatchNormConfig = nativeKernel(FusedBatchNorm, ({ inputs, backend, attrs }) => {
  const { x, mean, variance, offset, scale } = inputs as { x: TensorInfo; mean: TensorInfo; variance: TensorInfo; offset?: TensorInfo; scale?: TensorInfo };
  if (!isFloat(x, mean, variance, offset, scale) || x.shape.length !== 4) return null;
  const channels = x.shape[3]!;
  const perChannel = (t: TensorInfo | undefined) => !t || (t.shape.reduce((a, b) => a * b, 1) === channels && t.shape[t.shape.length - 1] === channels);
  if (![mean, variance, offset, scale].every(perChannel)) return null;
  const { varianceEpsilon } = attrs as unknown as FusedBatchNormAttrs;
  const src = backend.view(x);
  const slots = backend.plan(`batchNorm|${src.layout}|${varianceEpsilon}`, () => backend.addon.planBatchNorm(src.layout, varianceEpsilon, ACTIVATION.none));
  const vector = (t: TensorInfo | undefined, otherwise: number) => (t ? (backend.floats(t)) : filled(channels, otherwise));
  const dst = backend.bufferFor(src.layout);
  backend.execute(slots, [src.buffer, vector(mean, 0), vector(variance, 1), vector(scale, 1), vector(offset, 0), dst]);
  return backend.output(x.shape.slice(), src.layout, dst);
});
