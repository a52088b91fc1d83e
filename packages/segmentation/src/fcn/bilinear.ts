import * as tf from '@tensorflow/tfjs-core';

/**
 * The bilinear interpolation filter of a `size` x `size` transposed convolution, as the FCN reference
 * (Caffe's `bilinear` filler, pytorch-fcn's `get_upsampling_weight`): factor = ceil(size / 2), centre at
 * factor - 1 (odd sizes) or factor - 0.5 (even), value (1 - |y - c| / factor) (1 - |x - c| / factor).
 * A stride-f transposed convolution with size 2f and this filter upsamples by f. Returns [size, size] row-major.
 */
export function bilinearKernel(size: number): Float32Array {
  if (!Number.isInteger(size) || size < 1) throw new Error(`bilinearKernel size must be a positive integer, got ${size}`);
  const factor = Math.floor((size + 1) / 2);
  const centre = size % 2 === 1 ? factor - 1 : factor - 0.5;
  const kernel = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      kernel[y * size + x] = (1 - Math.abs(y - centre) / factor) * (1 - Math.abs(x - centre) / factor);
    }
  }
  return kernel;
}

/**
 * A ConvTranspose2d weight that upsamples every channel on its own: the bilinear kernel from channel c to
 * channel c, zero between channels. Our layout: [size, size, channels (out), channels (in)].
 */
export function bilinearUpsamplingWeight(channels: number, size: number): tf.Tensor4D {
  const kernel = bilinearKernel(size);
  const data = new Float32Array(size * size * channels * channels);
  for (let i = 0; i < size * size; i++) {
    for (let c = 0; c < channels; c++) data[(i * channels + c) * channels + c] = kernel[i]!;
  }
  return tf.tensor4d(data, [size, size, channels, channels]);
}
