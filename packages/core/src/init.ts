import * as tf from '@tensorflow/tfjs-core';

/**
 * PyTorch's default initialisation of conv and linear layers (kaiming_uniform_ with a = sqrt(5)):
 * weights and biases uniform in +-1/sqrt(fanIn).
 */
export function defaultUniform(shape: number[], fanIn: number): tf.Tensor {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return tf.randomUniform(shape, -bound, bound, 'float32');
}

/** kaiming_normal_(mode='fan_out', nonlinearity='relu'), which torchvision uses for ResNet and VGG convs. */
export function kaimingNormalFanOut(shape: number[], fanOut: number): tf.Tensor {
  return tf.randomNormal(shape, 0, Math.sqrt(2 / fanOut), 'float32');
}

export function normal(shape: number[], std: number): tf.Tensor {
  return tf.randomNormal(shape, 0, std, 'float32');
}
