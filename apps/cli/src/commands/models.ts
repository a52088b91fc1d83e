import { listModels } from '@convkit/core';
import { selectBackend } from '../setup.js';

/**
 * Building every model to count its parameters would allocate gigabytes (VGG alone is 138M values), so a
 * registered model's published count is shown when it has one: the classifier test suite builds each
 * model and asserts that its count equals that figure exactly. Models without one are built and counted.
 */
async function parameterCount(entry: ReturnType<typeof listModels>[number]): Promise<number> {
  if (entry.reference?.params !== undefined) return entry.reference.params;
  await selectBackend(undefined);
  const model = entry.create();
  const params = model.countParams();
  model.dispose();
  return params;
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
