import * as tf from '@tensorflow/tfjs-core';
import { elementCount } from './io/host-tensor.js';
import { isMetaBackend, metaTensor } from './meta/backend.js';
import { seededRandom } from './random.js';

/**
 * tf.randomUniform draws every value through seedrandom in JavaScript and took 5.7 s for VGG's
 * 102M-value fc6 weight; a plain 32-bit generator writing straight into the Float32Array of the tensor
 * takes a fraction of that, which is what makes building the big classifiers quick. The draws stay in
 * float64 until the final value is stored (a float32 draw would round the largest ones up to exactly 1),
 * and no intermediate array is kept: for fc6 one would be 800 MB. Not seeded: use
 * deterministicStateDict for reproducible weights. On the meta backend nothing is drawn: weights there have
 * a shape and no values.
 */
function unseeded(): () => number {
  return seededRandom(Math.random() * 2 ** 32);
}

/**
 * PyTorch's default initialisation of conv and linear layers (kaiming_uniform_ with a = sqrt(5)):
 * weights and biases uniform in +-1/sqrt(fanIn).
 */
export function defaultUniform(shape: number[], fanIn: number): tf.Tensor {
  if (isMetaBackend()) return metaTensor(shape);
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  const next = unseeded();
  const values = new Float32Array(elementCount(shape));
  for (let i = 0; i < values.length; i++) values[i] = (next() * 2 - 1) * bound;
  return tf.tensor(values, shape, 'float32');
}

/** Normal values by the Box-Muller transform of two uniforms. */
export function normal(shape: number[], std: number): tf.Tensor {
  if (isMetaBackend()) return metaTensor(shape);
  const next = unseeded();
  const values = new Float32Array(elementCount(shape));
  for (let i = 0; i < values.length; i += 2) {
    const radius = std * Math.sqrt(-2 * Math.log(1 - next()));
    const angle = 2 * Math.PI * next();
    values[i] = radius * Math.cos(angle);
    if (i + 1 < values.length) values[i + 1] = radius * Math.sin(angle);
  }
  return tf.tensor(values, shape, 'float32');
}

/** kaiming_normal_(mode='fan_out', nonlinearity='relu'), which torchvision uses for ResNet and VGG convs. */
export function kaimingNormalFanOut(shape: number[], fanOut: number): tf.Tensor {
  return normal(shape, Math.sqrt(2 / fanOut));
}
