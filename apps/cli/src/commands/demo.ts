import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy, deterministicStateDict, formatSummary, listModels, summary, trainStep } from '@convkit/core';
import { type Digits, cifarResnet, loadDigits, splitDigits } from '@convkit/classifiers';
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
  const curve = await trainOnDigits(3);
  await writeOutputFile(resolve(out, 'digits-training.json'), `${JSON.stringify(curve, null, 2)}\n`);
  console.log(`\nDone. Outputs are in ${out}`);
}

/** Models above this many parameters take half a minute each just to allocate here; the tour skips them. */
const TOUR_PARAMETER_LIMIT = 100e6;

async function parameterTable(): Promise<ParameterRow[]> {
  const all = listModels({ task: 'classification' });
  const models = all.filter((m) => (m.reference?.params ?? 0) < TOUR_PARAMETER_LIMIT);
  const skipped = all.filter((m) => !models.includes(m)).map((m) => m.name);
  if (skipped.length) console.log(`(skipping ${skipped.join(', ')}: over 100M parameters each; \`pnpm convkit summary vgg16\` prints one)\n`);
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

/** A ResNet-8 trained from scratch on scikit-learn's 8x8 handwritten digits: accuracy after every epoch. */
async function trainOnDigits(epochs: number): Promise<{ epoch: number; loss: number; testAccuracy: number }[]> {
  console.log(`\nTraining a ResNet-8 from scratch on 1,438 real 8x8 handwritten digits (scikit-learn), testing on 359:\n`);
  const { train, test } = splitDigits(await loadDigits());
  const model = cifarResnet(8, { inChannels: 1, numClasses: 10 });
  model.loadStateDict(deterministicStateDict(model, 7));
  const optimizer = tf.train.momentum(0.05, 0.9);
  const images = tf.tensor4d(train.images, [train.count, 8, 8, 1]);
  const labels = tf.tensor1d(train.labels, 'int32');
  const batch = 64;
  const steps = Math.floor(train.count / batch);
  const curve: { epoch: number; loss: number; testAccuracy: number }[] = [{ epoch: 0, loss: NaN, testAccuracy: await accuracy(model, test) }];
  console.log(`  before training: test accuracy ${(curve[0]!.testAccuracy * 100).toFixed(1)}%`);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    model.train();
    const order = tf.util.createShuffledIndices(train.count);
    const bar = progressBar(`  epoch ${epoch}/${epochs}`, steps);
    let sum = 0;
    for (let step = 0; step < steps; step++) {
      const index = tf.tensor1d(Int32Array.from(order.subarray(step * batch, (step + 1) * batch)), 'int32');
      const x = tf.gather(images, index);
      const y = tf.gather(labels, index);
      sum += await trainStep(model, optimizer, () => crossEntropy(model.call(x) as tf.Tensor2D, y));
      tf.dispose([index, x, y]);
      bar.update(step + 1, `loss ${(sum / (step + 1)).toFixed(3)}`);
    }
    bar.stop();
    curve.push({ epoch, loss: sum / steps, testAccuracy: await accuracy(model, test) });
    console.log(`  epoch ${epoch}: mean loss ${(sum / steps).toFixed(3)}, test accuracy ${(curve[epoch]!.testAccuracy * 100).toFixed(1)}%`);
  }
  tf.dispose([images, labels]);
  optimizer.dispose();
  model.dispose();
  return curve;
}

async function accuracy(model: ReturnType<typeof cifarResnet>, data: Digits): Promise<number> {
  model.eval();
  const predicted = tf.tidy(() => tf.argMax(model.call(tf.tensor4d(data.images, [data.count, 8, 8, 1])) as tf.Tensor2D, 1));
  const values = await predicted.data();
  predicted.dispose();
  let correct = 0;
  for (let i = 0; i < data.count; i++) if (values[i] === data.labels[i]) correct++;
  return correct / data.count;
}
