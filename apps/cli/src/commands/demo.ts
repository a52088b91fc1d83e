import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, formatSummary, listModels, readSafetensors, summary } from '@convkit/core';
import { greyToInput, loadDigits, splitDigits } from '@convkit/classifiers';
import { SHAPE_CLASSES as SEGMENTATION_CLASSES, colorizeMask, meanIoU, overlayMask, pixelAccuracy, predictSegmentation } from '@convkit/segmentation';
import { type FasterRCNN, drawDetections, evaluateDetections, regionProposals } from '@convkit/detection';
import { drawBoxes, imageGrid } from '../charts.js';
import { CliError } from '../cli-error.js';
import { makeOutputFolder, readInputFile, writeOutputFile } from '../files.js';
import { encodePng, readImage } from '../images.js';
import { progressBar } from '../progress.js';
import { selectBackend } from '../setup.js';
import { classify } from './classify.js';
import { train } from './train.js';

interface ParameterRow {
  model: string;
  params: number;
  publishedParams: number | null;
  gmacs: number;
  publishedGmacs: number | null;
  source: string;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const ASSETS = join(repoRoot, 'assets');
const asset = (path: string) => join(ASSETS, path);

/**
 * The tour, on the best backend available: the classic classifiers counted against their papers, then
 * the bundled trained weights at work on bundled images (digits, a segmentation, detections), selective
 * search on a photograph, and a short training run. Every output goes into one folder.
 */
export async function demoCommand(options: { out: string; backend?: string }): Promise<void> {
  const out = resolve(options.out);
  await makeOutputFolder(out, '--out');
  const backend = await selectBackend(options.backend);
  const started = performance.now();
  console.log(`convkit demo on the '${backend}' backend; outputs go to ${out}\n`);
  const files: string[] = [];
  const write = async (name: string, bytes: Uint8Array | string) => {
    await writeOutputFile(join(out, name), bytes);
    files.push(name);
  };

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
  await write('classifiers.json', `${JSON.stringify(rows, null, 2)}\n`);

  const lenet = listModels().find((m) => m.name === 'lenet5');
  if (lenet) {
    const model = lenet.create();
    console.log(`\nEvery layer of one of them, with the arithmetic the textbooks do by hand:\n\n${formatSummary({ ...summary(model, [1, ...lenet.inputShape]), model: 'lenet5' })}`);
    model.dispose();
  }

  const missing = ['weights/lenet5-digits.safetensors', 'weights/fcn_tiny-shapes.safetensors', 'weights/fasterrcnn_small-shapes.safetensors', 'images/chelsea.jpg']
    .filter((f) => !existsSync(asset(f)));
  if (missing.length) {
    console.log(`\n(skipping the bundled weights and images: ${missing.map((f) => `assets/${f}`).join(', ')} not found)`);
  } else {
    await digitsSection(write);
    await segmentationSection(write);
    await detectionSection(write);
    await proposalsSection(write);
  }

  console.log('\nA short training run: LeNet-5 from seeded initial weights on the digits, tested on the 359 held-out ones.\n');
  const run = await train({ model: 'lenet5', data: 'digits', epochs: '3', seed: '0', out: join(out, 'training'), backend });
  files.push(...run.files.map((f) => relative(out, f)));

  console.log(`\nDone in ${((performance.now() - started) / 1000).toFixed(0)} s. Outputs are in ${out}:`);
  for (const f of files) console.log(`  ${f}`);
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

type Write = (name: string, bytes: Uint8Array | string) => Promise<void>;

const GRID_DIGITS = 30;

/** LeNet-5 with the bundled weights on held-out digits: the test accuracy, a captioned grid, and the PNGs. */
async function digitsSection(write: Write): Promise<void> {
  const weights = asset('weights/lenet5-digits.safetensors');
  console.log('\nLeNet-5 with the bundled weights (assets/weights/lenet5-digits.safetensors) on the 359 held-out digits:\n');
  const { test } = splitDigits(await loadDigits());
  const model = createModel('lenet5');
  let predicted: Int32Array;
  try {
    model.loadStateDict(readSafetensors(await readInputFile(weights, 'weights')).tensors);
    model.eval();
    const logits = tf.tidy(() => tf.argMax(model.call(greyToInput(tf.tensor4d(test.images, [test.count, 8, 8, 1]), 32, 32, 1)) as tf.Tensor2D, 1));
    predicted = (await logits.data()) as Int32Array;
    logits.dispose();
  } finally {
    model.dispose();
  }
  const correct = predicted.filter((p, i) => p === test.labels[i]).length;
  console.log(`  accuracy ${correct}/${test.count} = ${((100 * correct) / test.count).toFixed(1)}%`);
  const tiles = Array.from({ length: GRID_DIGITS }, (_, i) => {
    const data = new Uint8Array(64 * 3);
    for (let p = 0; p < 64; p++) data.fill(Math.round(255 * test.images[i * 64 + p]!), 3 * p, 3 * p + 3);
    const right = predicted[i] === test.labels[i];
    return { image: { data, width: 8, height: 8 }, caption: right ? `${predicted[i]}` : `${predicted[i]} (is ${test.labels[i]})`, colour: right ? '#1a7f37' : '#cf222e' };
  });
  await write('digits-predicted.png', imageGrid(tiles, { title: `LeNet-5 on the first ${GRID_DIGITS} held-out digits: predicted label (green right, red wrong)`, columns: 10, tileSize: 48 }));

  const pngs = (await readdir(join(ASSETS, 'images'))).filter((f) => /^digit-\d\.png$/.test(f)).sort();
  if (pngs.length) {
    const results = await classify(pngs.map((f) => join(ASSETS, 'images', f)), { model: 'lenet5', weights, top: '1' });
    const line = results.map((r, i) => `${pngs[i]!.slice(6, 7)}->${r.top[0]!.label} (${(100 * r.top[0]!.probability).toFixed(0)}%)`);
    console.log(`  the bundled PNGs through \`convkit classify\`, true->predicted: ${line.join('  ')}`);
    await write('digits-classified.json', `${JSON.stringify(results, null, 2)}\n`);
  }
}

/** fcn_tiny with the bundled weights on the held-out shapes scene, against its ground-truth mask. */
async function segmentationSection(write: Write): Promise<void> {
  console.log('\nfcn_tiny with the bundled weights on a held-out shapes scene (assets/images/shapes-segmentation.png):\n');
  const image = await readImage(asset('images/shapes-segmentation.png'));
  const truth = await readImage(asset('images/shapes-segmentation-mask.png'));
  // The mask stores each pixel's class index as its grey value.
  const target = Int32Array.from({ length: truth.width * truth.height }, (_, p) => truth.data[3 * p]!);
  const model = createModel('fcn_tiny');
  let classMap: Int32Array;
  try {
    model.loadStateDict(readSafetensors(await readInputFile(asset('weights/fcn_tiny-shapes.safetensors'), 'weights')).tensors);
    ({ classMap } = await predictSegmentation(model, image, { mean: [0.5, 0.5, 0.5], std: [1, 1, 1] }));
  } finally {
    model.dispose();
  }
  const numClasses = SEGMENTATION_CLASSES.length;
  console.log(`  pixel accuracy ${pixelAccuracy(target, classMap, { numClasses }).toFixed(3)}, mean IoU ${meanIoU(target, classMap, { numClasses }).toFixed(3)} ` +
    `against the ground truth (classes ${SEGMENTATION_CLASSES.join(', ')})`);
  const scaled = (rgba: Uint8Array) => upscale({ data: rgba, width: image.width, height: image.height }, 8);
  await write('segmentation-mask.png', scaled(colorizeMask(classMap)));
  await write('segmentation-overlay.png', scaled(overlayMask(image, classMap)));
  await write('segmentation-truth.png', scaled(colorizeMask(target)));
}

/** fasterrcnn_small with the bundled weights on the held-out detection scene, matched against its boxes. */
async function detectionSection(write: Write): Promise<void> {
  console.log('\nFaster R-CNN (fasterrcnn_small) with the bundled weights on a held-out scene (assets/images/shapes-detection.png):\n');
  const image = await readImage(asset('images/shapes-detection.png'));
  const truthFile = JSON.parse(new TextDecoder().decode(await readInputFile(asset('images/shapes-detection.json'), 'ground truth'))) as {
    classes: string[];
    objects: { box: [number, number, number, number]; label: number }[];
  };
  const truth = { boxes: truthFile.objects.flatMap((o) => o.box), labels: truthFile.objects.map((o) => o.label) };
  const model = createModel('fasterrcnn_small') as FasterRCNN;
  if (image.width !== 64 || image.height !== 64) throw new CliError(`assets/images/shapes-detection.png is ${image.width}x${image.height}; fasterrcnn_small takes 64x64`);
  try {
    model.loadStateDict(readSafetensors(await readInputFile(asset('weights/fasterrcnn_small-shapes.safetensors'), 'weights')).tensors);
    const [detections] = await model.detect([image]);
    const kept = keepScores(detections!, 0.5);
    const evaluation = evaluateDetections([kept], [truth], { numClasses: truthFile.classes.length });
    const found = evaluation.counts.reduce((s, [tp]) => s + tp, 0);
    const extra = evaluation.counts.reduce((s, [, fp]) => s + fp, 0);
    console.log(`  ${kept.labels.length} detections with score >= 0.5: ${found} of ${truthFile.objects.length} objects found (IoU > 0.5, right class), ${extra} false`);
    for (let i = 0; i < kept.labels.length; i++) {
      console.log(`    ${truthFile.classes[kept.labels[i]!]!.padEnd(8)} ${kept.scores[i]!.toFixed(2)}  [${Array.from(kept.boxes.subarray(4 * i, 4 * i + 4), (v) => v.toFixed(1)).join(', ')}]`);
    }
    const drawn = drawDetections(image, kept, { classNames: truthFile.classes, scale: 6 });
    await write('detections.png', encodePng(drawn.data, drawn.width, drawn.height));
    await write('detections.json', `${JSON.stringify({ truth: truthFile.objects, detections: Array.from(kept.labels, (label, i) => ({ label, name: truthFile.classes[label], score: kept.scores[i], box: Array.from(kept.boxes.subarray(4 * i, 4 * i + 4)) })) }, null, 2)}\n`);
  } finally {
    model.dispose();
  }
}

const PROPOSALS = 40;

/** R-CNN's first stage needs no learned weights: selective search's region proposals on a photograph. */
async function proposalsSection(write: Write): Promise<void> {
  console.log(`\nSelective search (R-CNN's region proposals; no learned weights) on assets/images/chelsea.jpg:\n`);
  const image = await readImage(asset('images/chelsea.jpg'));
  const bar = progressBar('selective search', 1);
  bar.update(0, `${image.width}x${image.height}, OpenCV's 'fast' mode`);
  const started = performance.now();
  const all = regionProposals(image, { maxProposals: Number.MAX_SAFE_INTEGER, minSize: 20 });
  bar.update(1, 'done');
  bar.stop();
  const top = all.subarray(0, 4 * PROPOSALS);
  console.log(`  ${all.length / 4} proposals of at least 20x20 pixels in ${((performance.now() - started) / 1000).toFixed(1)} s; the first ${top.length / 4} in selective search's ranking drawn`);
  await write('proposals.png', drawBoxes(image, top, { scale: 2 }));
}

function keepScores(d: { boxes: Float32Array; scores: Float32Array; labels: Int32Array }, min: number) {
  const keep = Array.from(d.scores.keys()).filter((i) => d.scores[i]! >= min);
  return {
    boxes: Float32Array.from(keep.flatMap((i) => Array.from(d.boxes.subarray(4 * i, 4 * i + 4)))),
    scores: Float32Array.from(keep, (i) => d.scores[i]!),
    labels: Int32Array.from(keep, (i) => d.labels[i]!),
  };
}

/** RGBA pixels enlarged `factor` times by repetition, as PNG bytes: a 32x32 mask is unreadable as is. */
function upscale(image: { data: Uint8Array; width: number; height: number }, factor: number): Uint8Array {
  const width = image.width * factor, height = image.height * factor;
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (Math.floor(y / factor) * image.width + Math.floor(x / factor)) * 4;
      out.set(image.data.subarray(from, from + 4), (y * width + x) * 4);
    }
  }
  return encodePng(out, width, height);
}

