import * as tf from '@tensorflow/tfjs-core';

/** Spreads kernel taps `dilation` apart with zeros between them: [kH, kW, a, b] -> [d(kH-1)+1, d(kW-1)+1, a, b]. */
export function dilateKernel(filter: tf.Tensor4D, [dh, dw]: [number, number]): tf.Tensor4D {
  const [kh, kw, a, b] = filter.shape;
  const expanded = tf.pad(tf.reshape(filter, [kh, 1, kw, 1, a, b]), [[0, 0], [0, dh - 1], [0, 0], [0, dw - 1], [0, 0], [0, 0]]);
  return tf.slice(tf.reshape(expanded, [kh * dh, kw * dw, a, b]) as tf.Tensor4D, [0, 0, 0, 0], [dh * (kh - 1) + 1, dw * (kw - 1) + 1, a, b]);
}
