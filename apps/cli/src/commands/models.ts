import { listModels, onMetaBackend } from '@convkit/core';

/** Counted on a model built on the meta backend: shapes without values, so VGG's 138M weights take no memory. */
function parameterCount(entry: ReturnType<typeof listModels>[number]): Promise<number> {
  return onMetaBackend(() => {
    const model = entry.create();
    try {
      return model.countParams();
    } finally {
      model.dispose();
    }
  });
}

export async function modelsCommand(options: { json?: boolean }): Promise<void> {
  const models = [];
  for (const m of listModels()) {
    models.push({ name: m.name, task: m.task, family: m.family, params: await parameterCount(m), inputShape: m.inputShape, numClasses: m.numClasses, description: m.description });
  }
  if (options.json) {
    console.log(JSON.stringify(models, null, 2));
    return;
  }
  const rows = models.map((m) => [m.name, m.task, m.params.toLocaleString('en-US'), m.inputShape.join('x'), m.description]);
  const header = ['Model', 'Task', 'Params', 'Input', 'Description'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  console.log([line(header), ...rows.map(line)].join('\n'));
}
