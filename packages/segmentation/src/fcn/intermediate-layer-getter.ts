import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@convkit/core';

/**
 * torchvision's IntermediateLayerGetter: takes over a model's direct children up to the last one named in
 * `returnLayers` (so `backbone.layer1...` names stay, and the classifier head is left out of the state dict),
 * runs them in order and returns the named outputs under new names: { layer4: 'out', layer3: 'aux' }.
 * The model must apply its children in registration order, as ResNet does. Children past the last
 * returned one are disposed.
 */
export class IntermediateLayerGetter extends Module<tf.Tensor, Record<string, tf.Tensor>> {
  readonly #layers: [string, Module][];

  constructor(model: Module<any, any>, readonly returnLayers: Record<string, string>) {
    super();
    const children = model.namedChildren();
    const wanted = new Set(Object.keys(returnLayers));
    const missing = [...wanted].filter((name) => !children.some(([n]) => n === name));
    if (missing.length) throw new Error(`returnLayers names ${missing.join(', ')}, which ${model.typeName} does not have`);
    this.#layers = [];
    for (const [name, child] of children) {
      if (!wanted.size) {
        child.dispose();
        continue;
      }
      this.#layers.push([name, this.registerModule(name, child)]);
      wanted.delete(name);
    }
  }

  forward(x: tf.Tensor): Record<string, tf.Tensor> {
    return tf.tidy(() => {
      const out: Record<string, tf.Tensor> = {};
      let h = x;
      for (const [name, layer] of this.#layers) {
        h = layer.call(h);
        const as = this.returnLayers[name];
        if (as !== undefined) out[as] = h;
      }
      return out;
    });
  }
}
