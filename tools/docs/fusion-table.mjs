// Prints the table of docs/inference-folding.md from real fuseForInference runs: for every registered model,
// how many BatchNorm2d calls of one eval-mode forward fold into the convolution before them, and how many
// ReLU calls fuse into a convolution or a linear layer. Needs pnpm build; takes a few minutes (every model
// is built at full size and traced once at its registry entry's trace size, on wasm).
//   node tools/docs/fusion-table.mjs [model ...]
import { Conv2d, Linear, fuseForInference, listModels, useBackend } from '@convkit/core';
import '@convkit/backend-wasm';
import '@convkit/classifiers';
import '@convkit/segmentation';
import '@convkit/detection';

const wanted = process.argv.slice(2);
await useBackend('wasm');
console.log('| model | family | BatchNorm2d folded into the conv before it | ReLU fused into a conv | ReLU fused into a linear layer | ReLU computed on its own |');
console.log('|---|---|---|---|---|---|');
for (const entry of listModels().filter((e) => !wanted.length || wanted.includes(e.name))) {
  // initWeights: false where a family has it: the weights do not change what fuses, and init takes longer than the trace.
  const model = entry.create({ initWeights: false });
  const s = fuseForInference(model);
  const modules = model.namedModules().map(([, m]) => m);
  const intoConv = modules.filter((m) => m instanceof Conv2d && m.fold?.relu).length;
  const intoLinear = modules.filter((m) => m instanceof Linear && m.fusedRelu).length;
  const batchNorms = s.batchNorms ? `${s.foldedBatchNorms} of ${s.batchNorms}` : '(none)';
  console.log(`| ${entry.name} | ${entry.family} | ${batchNorms} | ${intoConv} | ${intoLinear} | ${s.relus - s.fusedRelus} of ${s.relus} |`);
  model.dispose();
}
