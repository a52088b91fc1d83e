import * as tf from '@tensorflow/tfjs-core';
import { runOnCpu } from './cpu-fallback.js';
import { nativeKernel } from './kernel.js';
import { unsupportedDtype } from './util.js';

export const resizeBilinearConfig = nativeKernel(tf.ResizeBilinear, ({ inputs, attrs, backend }) => {
  const images = inputs.images!;
  const { alignCorners, halfPixelCenters, size } = attrs as unknown as tf.ResizeBilinearAttrs;
  const why = unsupportedDtype([images]);
  if (why) return runOnCpu(tf.ResizeBilinear, inputs, attrs, backend, why);
  const [n, h, w, c] = images.shape as [number, number, number, number];
  const [oh, ow] = size;
  const ratio = (input: number, output: number) => ((alignCorners && output > 1 ? input - 1 : input) / (alignCorners && output > 1 ? output - 1 : output));
  const out = backend.allocate([n, oh, ow, c], 'float32');
  if (n * oh * ow * c > 0) backend.addon.resizeBilinear(backend.ptr(images), backend.ptr(out), [n, h, w, c, oh, ow], ratio(h, oh), ratio(w, ow), halfPixelCenters);
  return out;
});
