import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatSummary, listModels, summary } from '@convkit/core';
import { writeOutputFile } from '../files.js';
import { progressBar } from '../progress.js';
import { selectBackend } from '../setup.js';

interface ParameterRow {
  model: string;
  params: number;
  publishedParams: number | null;
  gmacs: number;
  publishedGmacs: number | null;
  source: string;
}

/** The tour: what convkit exists for, on bundled data, on the best backend available. */
export async function demoCommand(options: { out: string; backend?: string }): Promise<void> {
  const out = resolve(options.out);
  await mkdir(out, { recursive: true });
  const backend = await selectBackend(options.backend);
  console.log(`convkit demo on the '${backend}' backend; outputs go to ${out}\n`);

  const rows = await parameterTable();
  const table = rows.map((r) => [
    r.model,
    r.params.toLocaleString('en-US'),
    r.publishedParams === null ? '-' : r.params === r.publishedParams ? 'same' : `${r.publishedParams.toLocaleString('en-US')} (differs)`,
    r.gmacs.toFixed(3),
    r.publishedGmacs === null ? '-' : r.publishedGmacs.toFixed(3),
  ]);
  console.log('The classic classifiers, built and counted here, next to the published figures:\n');
  console.log(formatTable(['model', 'params (counted)', 'published', 'GMACs', 'published'], table, [1, 2, 3, 4]));
  await writeOutputFile(resolve(out, 'classifiers.json'), `${JSON.stringify(rows, null, 2)}\n`);

  const lenet = listModels().find((m) => m.name === 'lenet5');
  if (lenet) {
    const model = lenet.create();
    console.log(`\nEvery layer of one of them, with the arithmetic the textbooks do by hand:\n\n${formatSummary({ ...summary(model, [1, ...lenet.inputShape]), model: 'lenet5' })}`);
    model.dispose();
  }
  console.log(`\nDone. Outputs are in ${out}`);
}

async function parameterTable(): Promise<ParameterRow[]> {
  const models = listModels({ task: 'classification' });
  const bar = progressBar('counting parameters', models.length);
  const rows: ParameterRow[] = [];
  for (const [i, entry] of models.entries()) {
    bar.update(i, entry.name);
    const model = entry.create();
    const s = summary(model, [1, ...entry.inputShape]);
    model.dispose();
    rows.push({
      model: entry.name,
      params: s.totalParams,
      publishedParams: entry.reference?.params ?? null,
      gmacs: s.macs / 1e9,
      publishedGmacs: entry.reference?.gmacs ?? null,
      source: entry.reference?.source ?? '',
    });
  }
  bar.update(models.length, 'done');
  bar.stop();
  return rows;
}

function formatTable(header: string[], rows: string[][], rightAligned: number[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (rightAligned.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
