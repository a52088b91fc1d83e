import * as tf from '@tensorflow/tfjs-core';
import { elementCount } from './io/host-tensor.js';

/**
 * tf.randomUniform draws every value through seedrandom in JavaScript and took 5.7 s for VGG's
 * 102M-value fc6 weight; a plain 32-bit generator filling a Float32Array takes a fraction of that,
 * which is what makes building the big classifiers quick. Not seeded: use deterministicStateDict for
 * reproducible weights.
 */
function uniformValues(count: number): Float64Array {
  // Float64: a float32 store would round the largest draws up to exactly 1.
  const values = new Float64Array(count);
  let state = (Math.random() * 2 ** 32) >>> 0;
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    values[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  return values;
}

/**
 * PyTorch's default initialisation of conv and linear layers (kaiming_uniform_ with a = sqrt(5)):
 * weights and biases uniform in +-1/sqrt(fanIn).
 */
export function defaultUniform(shape: number[], fanIn: number): tf.Tensor {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  const u = uniformValues(elementCount(shape));
  const values = new Float32Array(u.length);
  for (let i = 0; i < u.length; i++) values[i] = (u[i]! * 2 - 1) * bound;
  return tf.tensor(values, shape, 'float32');
}

/** Normal values by the Box-Muller transform of two uniforms. */
export function normal(shape: number[], std: number): tf.Tensor {
  const count = elementCount(shape);
  const u = uniformValues(count + (count % 2));
  const values = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const radius = std * Math.sqrt(-2 * Math.log(1 - u[i]!));
    const angle = 2 * Math.PI * u[i + 1]!;
    values[i] = radius * Math.cos(angle);
    if (i + 1 < count) values[i + 1] = radius * Math.sin(angle);
  }
  return tf.tensor(values, shape, 'float32');
}

/** kaiming_normal_(mode='fan_out', nonlinearity='relu'), which torchvision uses for ResNet and VGG convs. */
export function kaimingNormalFanOut(shape: number[], fanOut: number): tf.Tensor {
  return normal(shape, Math.sqrt(2 / fanOut));
}
