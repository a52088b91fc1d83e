// Prints the architecture tables of docs/classifiers/*.md from real summary() runs (224x224x3 by default):
//   node tools/docs/architecture-tables.mjs resnet18 resnet50 densenet121 [--rows 12] [--input 224,224,3]
// For each model: one row per stage (blocks, output shape, parameters, multiply-accumulates, summed from
// the per-layer summary), then the model's first --rows layers as summary() reports them. Needs pnpm build.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, summary, traceCalls, useBackend } from '@convkit/core';
import '@convkit/backend-wasm';
import '@convkit/classifiers/resnet';
import '@convkit/classifiers/densenet';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { rows: { type: 'string', default: '12' }, input: { type: 'string', default: '224,224,3' } } });
const input = [1, ...values.input.split(',').map(Number)];
const fmt = (n) => Math.round(n).toLocaleString('en-US');

/** The stage a layer belongs to: its first name, or the first two under a `features` Sequential. */
const stageOf = (name) => {
  const parts = name.split('.');
  return parts[0] === 'features' ? parts.slice(0, 2).join('.') : parts[0];
};

await useBackend('wasm');
for (const name of positionals) {
  const model = createModel(name, { initWeights: false, inChannels: input[3] });
  const s = summary(model, input);
  const stages = new Map();
  for (const layer of s.layers) {
    const key = stageOf(layer.name);
    const stage = stages.get(key) ?? { params: 0, macs: 0, outputShape: [] };
    stage.params += layer.params;
    stage.macs += layer.macs;
    stage.outputShape = layer.outputShape;
    stages.set(key, stage);
  }
  console.log(`\n### ${name}: ${fmt(s.totalParams)} parameters, ${(s.macs / 1e9).toFixed(3)} GMACs at ${input.slice(1).join('x')}\n`);
  const modules = new Map(model.namedModules());
  // A stage's output is its own call's (a dense block's is the concatenation, not its last layer's).
  const { calls } = traceCalls(() => tf.tidy(() => { model.eval().call(tf.zeros(input)); }));
  const outputs = new Map(calls.map((c) => [c.module, c.outputShapes[0]]));
  for (const [key, st] of stages) st.outputShape = outputs.get(modules.get(key)) ?? st.outputShape;
  /** Blocks in a stage: its children when they are blocks themselves (residual or dense), else none. */
  const blocks = (key) => {
    const children = modules.get(key)?.namedChildren() ?? [];
    return children.length && children.every(([, c]) => c.namedChildren().length) ? String(children.length) : '';
  };
  console.log('| stage | blocks | output [N, H, W, C] | params | MACs |');
  console.log('|---|---:|---|---:|---:|');
  let previous = 0;
  for (const [key, st] of stages) {
    const size = st.outputShape.reduce((a, b) => a * b, 1);
    // ReLU and Flatten change nothing a table of stages shows.
    if (st.params === 0 && st.macs === 0 && size === previous) continue;
    previous = size;
    console.log(`| ${key} | ${blocks(key)} | [${st.outputShape.join(', ')}] | ${fmt(st.params)} | ${fmt(st.macs)} |`);
  }
  if (Number(values.rows) === 0) {
    model.dispose();
    continue;
  }
  console.log(`\nFirst ${values.rows} layers:\n`);
  console.log('| layer | type | output | params |');
  console.log('|---|---|---|---:|');
  for (const l of s.layers.slice(0, Number(values.rows))) console.log(`| ${l.name} | ${l.type} | [${l.outputShape.join(', ')}] | ${fmt(l.params)} |`);
  model.dispose();
}
