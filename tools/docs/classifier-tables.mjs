// Regenerates the architecture tables in docs/classifiers/*.md from real summary() runs, so the docs show
// what the code computes. A table is the text between
//   <!-- summary: MODEL SIZE [grouped] -->   and   <!-- /summary -->
// MODEL is a registered name, SIZE the square input side. Rows are summary() layers without ReLU, Dropout
// and Flatten (they hold no parameters and keep the shape); `grouped` sums each top-level module into one row.
// Run after building the packages:
//   pnpm --filter @convkit/classifiers... build && node tools/docs/classifier-tables.mjs
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createModel, formatSummary, getModelEntry, summary, useBackend } from '@convkit/core';
import '@convkit/backend-wasm';
import '@convkit/classifiers';

const root = new URL('../../', import.meta.url);
await useBackend('wasm');

const QUIET = new Set(['ReLU', 'Dropout', 'Flatten']);

function grouped(model, s) {
  const types = new Map(model.namedChildren().map(([name, m]) => [name, m.typeName]));
  const rows = new Map();
  for (const l of s.layers) {
    const top = l.name.split('.')[0];
    const row = rows.get(top) ?? { name: top, type: types.get(top) ?? l.type, outputShape: l.outputShape, params: 0, macs: 0 };
    row.outputShape = l.outputShape;
    row.params += l.params;
    row.macs += l.macs;
    rows.set(top, row);
  }
  return [...rows.values()];
}

function table(name, size, args) {
  const entry = getModelEntry(name);
  const options = Object.fromEntries(args.filter((a) => a.includes('=')).map((a) => [a.split('=')[0], JSON.parse(a.split('=')[1])]));
  const model = createModel(name, { initWeights: false, ...options });
  try {
    const s = summary(model, [1, size, size, entry.inputShape[2]]);
    const layers = args.includes('grouped') ? grouped(model, s) : s.layers;
    return formatSummary({ ...s, layers: layers.filter((l) => !QUIET.has(l.type)) });
  } finally {
    model.dispose();
  }
}

const docs = new URL('docs/classifiers/', root);
const marker = /(<!-- summary: (\S+) (\d+)((?: \S+)*) -->\n)[\s\S]*?(<!-- \/summary -->)/g;
for (const file of readdirSync(docs).filter((f) => f.endsWith('.md'))) {
  const url = new URL(file, docs);
  const text = readFileSync(url, 'utf8');
  const next = text.replace(marker, (_, open, name, size, args, close) => `${open}\`\`\`\n${table(name, Number(size), args.trim().split(/\s+/).filter(Boolean))}\n\`\`\`\n${close}`);
  if (next !== text) {
    writeFileSync(url, next);
    console.log(`updated ${file}`);
  }
}
