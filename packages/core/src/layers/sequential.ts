import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';

/**
 * Children applied in order. Children are named '0', '1', ... like `torch.nn.Sequential(*layers)`,
 * or by the keys of an object, like `torch.nn.Sequential(OrderedDict(...))`.
 */
export class Sequential extends Module {
  readonly layers: Module[];

  constructor(...layers: Module[] | [Record<string, Module>]) {
    super();
    const entries: [string, Module][] = layers.length === 1 && !(layers[0] instanceof Module)
      ? Object.entries(layers[0] as Record<string, Module>)
      : (layers as Module[]).map((m, i) => [String(i), m]);
    this.layers = entries.map(([name, m]) => this.registerModule(name, m));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.layers.reduce((y, layer) => layer.call(y), x));
  }
}
