import * as tf from '@tensorflow/tfjs-core';
import { isMetaBackend, metaTensor, onMetaBackend } from './meta/backend.js';
import { type Module, traceCalls } from './module.js';

export interface LayerSummary {
  /** Dotted module path, as in the state dict (`features.0`). */
  name: string;
  type: string;
  /** Output shape of the layer, [N, H, W, C] for feature maps. */
  outputShape: number[];
  /** Parameters held directly by this layer. */
  params: number;
  macs: number;
}

export interface ModelSummary {
  model: string;
  inputShape: number[];
  layers: LayerSummary[];
  totalParams: number;
  trainableParams: number;
  /** Multiply-accumulates of conv and linear layers for the whole input batch (torchvision's GMACs x 1e9 at batch 1). */
  macs: number;
}

/**
 * Runs one forward pass in eval mode on zeros of `inputShape` ([N, H, W, C]) and reports every layer that
 * holds parameters or is a leaf: output shape, parameters and multiply-accumulates.
 */
export function summary(model: Module<tf.Tensor, unknown>, inputShape: number[]): ModelSummary {
  // Restored module by module: a model may hold some layers in eval mode while training (frozen BatchNorm).
  const modes = model.namedModules().map(([, m]) => [m, m.training] as const);
  model.eval();
  const names = new Map(model.namedModules().map(([name, m]) => [m, name]));
  try {
    const { calls } = traceCalls(() => tf.tidy(() => {
      model.call(isMetaBackend() ? metaTensor(inputShape) : tf.zeros(inputShape));
    }));
    const layers: LayerSummary[] = [];
    const seen = new Set<Module<any, any>>();
    for (const call of calls) {
      const isLeaf = call.module.namedChildren().length === 0;
      if (!isLeaf && call.module.ownParameterCount() === 0) continue;
      const first = !seen.has(call.module);
      seen.add(call.module);
      layers.push({
        name: names.get(call.module) ?? '(unregistered)',
        type: call.module.typeName,
        outputShape: call.outputShapes[0] ?? [],
        // A module called twice (a shared layer) owns its parameters once.
        params: first ? call.module.ownParameterCount() : 0,
        macs: call.module.countMacs(call.inputShapes, call.outputShapes),
      });
    }
    return {
      model: model.typeName,
      inputShape,
      layers,
      totalParams: model.countParams(),
      trainableParams: model.countParams({ trainableOnly: true }),
      macs: layers.reduce((n, l) => n + l.macs, 0),
    };
  } finally {
    for (const [m, training] of modes) m.training = training;
  }
}

/**
 * `summary` of the model `create` builds, built and run on the meta backend (see `onMetaBackend`): the
 * same table without allocating a weight or an activation, so that VGG's takes a fraction of a second
 * and no memory. The model is disposed before this returns.
 */
export function metaSummary(create: () => Module<tf.Tensor, unknown>, inputShape: number[]): Promise<ModelSummary> {
  return onMetaBackend(() => {
    const model = create();
    try {
      return summary(model, inputShape);
    } finally {
      model.dispose();
    }
  });
}

const groupDigits = (n: number) => Math.round(n).toLocaleString('en-US');

/** The summary as a fixed-width text table with totals, for terminals and docs. */
export function formatSummary(s: ModelSummary): string {
  const rows = s.layers.map((l) => [l.name, l.type, `[${l.outputShape.join(', ')}]`, groupDigits(l.params), groupDigits(l.macs)]);
  const header = ['Layer', 'Type', 'Output [N, H, W, C]', 'Params', 'MACs'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const rule = '-'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  return [
    `${s.model}, input [${s.inputShape.join(', ')}]`,
    rule,
    line(header),
    rule,
    ...rows.map(line),
    rule,
    `Total params:      ${groupDigits(s.totalParams)}`,
    `Trainable params:  ${groupDigits(s.trainableParams)}`,
    `Multiply-adds:     ${groupDigits(s.macs)} (${(s.macs / 1e9).toFixed(3)} G)`,
  ].join('\n');
}
