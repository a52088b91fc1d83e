import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { type ModelEntry, type Module, availableBackends, crossEntropy, fuseForInference, getModelEntry, trainStep } from '@convkit/core';
import type { RgbImage } from '@convkit/detection';
import { barChart } from '../charts.js';
import { CliError, ExitCode } from '../cli-error.js';
import { writeOutputFile } from '../files.js';
import { integerOption } from '../option-values.js';
import { progressBar } from '../progress.js';
import { selectBackend } from '../setup.js';

/** One measured configuration. Every runtime runs in a process of its own, so peak RSS is its own. */
export interface BenchResult {
  model: string;
  /** 'train': one SGD step (forward, cross-entropy, backward, update) in training mode; absent: an eval forward. */
  phase?: 'train';
  batch: number;
  /** 'wasm', 'cpu', ... for convkit ('wasm unfused' with --no-fuse); 'onnxruntime-node' and 'pytorch-cpu' for the peers. */
  runtime: string;
  medianMs: number;
  timesMs: number[];
  peakRssMb: number;
  /** Peak bytes held in tfjs tensors during one forward (weights included); convkit runs only. */
  peakTensorMb?: number;
  /** Detectors: how many detections the last timed run returned. */
  detections?: number;
}

export interface BenchOptions {
  models: string;
  batches: string;
  backends?: string;
  repeats: string;
  warmup: string;
  /** false (--no-fuse): convkit runs every layer on its own. */
  fuse: boolean;
  /** Also time each convkit backend unfused, beside the fused runs. */
  unfused?: boolean;
  /** `model:batch` for the training-step row ('' for none). */
  train: string;
  peers: boolean;
  out: string;
  python: string;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const cliMain = resolve(dirname(fileURLToPath(import.meta.url)), '../main.js');
const run = promisify(execFile);
const maxBuffer = 64 * 1024 * 1024;

const list = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);

export async function benchCommand(options: BenchOptions): Promise<void> {
  const models = list(options.models);
  for (const m of models) getModelEntryOrFail(m);
  const batches = list(options.batches).map(Number);
  if (batches.some((b) => !Number.isInteger(b) || b < 1)) throw new CliError(`--batches takes positive integers, got '${options.batches}'`, ExitCode.usage);
  // A median of no runs is no number: bench.json would hold nulls that bench.png cannot draw.
  integerOption(options.repeats, '--repeats', 1);
  integerOption(options.warmup, '--warmup', 0);
  const usable = (await availableBackends()).filter((b) => b.available).map((b) => b.name);
  // tfjs' cpu backend needs about 12 s for one ResNet-50 image (reference.md): opt in with --backends.
  const backends = options.backends ? list(options.backends) : usable.filter((b) => b !== 'cpu');
  for (const b of backends) if (!usable.includes(b)) throw new CliError(`backend '${b}' is not available here; available: ${usable.join(', ')}`);

  const jobs: { label: string; run: () => Promise<BenchResult[]> }[] = [];
  const fusions = options.fuse ? [true, ...(options.unfused ? [false] : [])] : [false];
  for (const model of models) {
    for (const backend of backends) {
      for (const fuse of fusions) {
        const args = ['bench-worker', model, '--runtime', backend, '--batches', batches.join(','), '--repeats', options.repeats, '--warmup', options.warmup, ...(fuse ? [] : ['--no-fuse'])];
        jobs.push({ label: `${model} on ${backend}${fuse ? '' : ' unfused'}`, run: () => worker(args) });
      }
    }
  }
  const train = parseTrain(options.train);
  if (train) {
    for (const backend of backends) {
      jobs.push({ label: `${train.model} train step on ${backend}`, run: () => worker(['bench-worker', train.model, '--runtime', backend, '--train', String(train.batch), '--repeats', options.repeats, '--warmup', options.warmup]) });
    }
  }
  const skipped: string[] = [];
  if (options.peers) {
    if (train && existsSync(options.python)) {
      jobs.push({ label: `${train.model} train step on pytorch-cpu`, run: () => python(options.python, ['tools/bench/torch_bench.py', '--models', train.model, '--batches', String(train.batch), '--train', '--repeats', options.repeats, '--warmup', options.warmup]) });
    }
    const onnx = await onnxPeer(models, options, skipped);
    const torch = existsSync(options.python) ? true : (skipped.push(`pytorch-cpu: ${options.python} not found`), false);
    for (const model of models) {
      if (onnx.has(model)) jobs.push({ label: `${model} on onnxruntime-node`, run: () => worker(['bench-worker', model, '--runtime', 'onnxruntime-node', '--onnx', onnxFile(model), '--batches', batches.join(','), '--repeats', options.repeats, '--warmup', options.warmup]) });
      if (torch) jobs.push({ label: `${model} on pytorch-cpu`, run: () => python(options.python, ['tools/bench/torch_bench.py', '--models', model, '--batches', batches.join(','), '--repeats', options.repeats, '--warmup', options.warmup]) });
    }
  }

  const results: BenchResult[] = [];
  const bar = progressBar('benchmarking', jobs.length);
  for (const [i, job] of jobs.entries()) {
    bar.update(i, job.label);
    try {
      results.push(...(await job.run()));
    } catch (error) {
      skipped.push(`${job.label}: ${firstLine(error)}`);
    }
  }
  bar.update(jobs.length, 'done');
  bar.stop();

  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.versions.node}`;
  const out = resolve(options.out);
  await mkdir(out, { recursive: true });
  await writeOutputFile(resolve(out, 'bench.json'), `${JSON.stringify({ date: new Date().toISOString(), machine, results, skipped }, null, 2)}\n`);
  const written = [resolve(out, 'bench.json')];
  if (results.length) {
    await writeOutputFile(resolve(out, 'bench.png'), benchChart(results, `Median latency, ${machine}`));
    written.push(resolve(out, 'bench.png'));
  }
  const inference = results.filter((r) => r.phase !== 'train');
  const training = results.filter((r) => r.phase === 'train');
  const trainTable = train && training.length ? `\n\nOne training step (SGD, cross-entropy, training mode, 224x224):\n${formatBenchTable(training, [train.model], [train.batch])}` : '';
  console.log(`\n${formatBenchTable(inference, models, batches)}${trainTable}\n\nMachine: ${machine}. Median of ${options.repeats} runs after ${options.warmup} warm-up runs.`);
  for (const s of skipped) console.log(`skipped ${s}`);
  console.log(`\nWrote ${written.join(' and ')}`);
}

/** Markdown table: one row per model and batch, one column per runtime, with the ratio to the fastest. */
export function formatBenchTable(results: BenchResult[], models: string[], batches: number[]): string {
  const runtimes = [...new Set(results.map((r) => r.runtime))];
  const lines = [
    `| model | batch | ${runtimes.map((r) => `${r} ms (peak RSS MB)`).join(' | ')} |`,
    `|---|---|${runtimes.map(() => '---|').join('')}`,
  ];
  for (const model of models) {
    for (const batch of batches) {
      const row = results.filter((r) => r.model === model && r.batch === batch);
      if (!row.length) continue;
      const fastest = Math.min(...row.map((r) => r.medianMs));
      const cells = runtimes.map((runtime) => {
        const r = row.find((x) => x.runtime === runtime);
        return r ? `${r.medianMs.toFixed(1)} (${Math.round(r.peakRssMb)}) ${(r.medianMs / fastest).toFixed(1)}x${r.detections === undefined ? '' : `, ${r.detections} det`}` : '-';
      });
      lines.push(`| ${model} | ${batch} | ${cells.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

/** The results as a bar chart PNG: one group of bars per model and batch, one colour per runtime. */
export function benchChart(results: readonly BenchResult[], title: string): Uint8Array {
  return barChart(results.map((r) => ({ group: `${r.model}${r.phase === 'train' ? ' train step' : ''}, batch ${r.batch}`, series: r.runtime, value: r.medianMs })), { title, valueLabel: 'median latency (ms), shorter is faster' });
}

function parseTrain(text: string): { model: string; batch: number } | null {
  if (!text) return null;
  const [model, batch] = text.split(':');
  const size = Number(batch);
  if (!model || !Number.isInteger(size) || size < 1) throw new CliError(`--train takes model:batch, e.g. resnet18:8, got '${text}'`);
  getModelEntryOrFail(model);
  return { model, batch: size };
}

/** Runs inside its own process: times one model on one runtime for each batch size, or one training step. */
export async function benchWorkerCommand(model: string, options: { runtime: string; batches?: string; train?: string; repeats: string; warmup: string; onnx?: string; fuse: boolean }): Promise<void> {
  if (options.train) {
    await selectBackend(options.runtime);
    console.log(JSON.stringify([await timeTrainStep(model, options.runtime, Number(options.train), Number(options.repeats), Number(options.warmup))]));
    return;
  }
  const entry = getModelEntryOrFail(model);
  const batches = list(options.batches ?? '1').map(Number);
  const [h, w, c] = entry.inputShape;
  const results: BenchResult[] = [];
  if (entry.task === 'detection') {
    results.push(...await timeDetector(entry, options));
  } else if (options.runtime === 'onnxruntime-node') {
    const ort = await import('onnxruntime-node').catch(() => {
      throw new CliError('onnxruntime-node is not installed');
    });
    const session = await ort.InferenceSession.create(options.onnx!, { intraOpNumThreads: cpus().length, interOpNumThreads: 1 });
    for (const batch of batches) {
      const input = new ort.Tensor('float32', Float32Array.from({ length: batch * c * h * w }, () => Math.random()), [batch, c, h, w]);
      const timesMs = await time(async () => {
        await session.run({ input });
      }, Number(options.repeats), Number(options.warmup));
      results.push({ model, batch, runtime: 'onnxruntime-node', medianMs: median(timesMs), timesMs, peakRssMb: 0 });
    }
  } else {
    await selectBackend(options.runtime);
    const net = entry.create();
    net.eval();
    if (options.fuse) fuseForInference(net);
    const runtime = options.fuse ? options.runtime : `${options.runtime} unfused`;
    for (const batch of batches) {
      const x = tf.randomUniform([batch, h, w, c]);
      const timesMs = await time(async () => {
        const y = net.call(x) as tf.Tensor;
        await y.data();
        y.dispose();
      }, Number(options.repeats), Number(options.warmup));
      const profile = await tf.profile(() => {
        (net.call(x) as tf.Tensor).dispose();
      });
      x.dispose();
      results.push({ model, batch, runtime, medianMs: median(timesMs), timesMs, peakRssMb: 0, peakTensorMb: profile.peakBytes / 2 ** 20 });
    }
    net.dispose();
  }
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify(results.map((r) => ({ ...r, peakRssMb }))));
}

/**
 * A detector end to end on one image of the entry's input size (8-bit RGB, random pixels): resize and
 * normalisation, backbone, proposals, box head and postprocessing, as torchvision's `model([image])` and its
 * ONNX export run it. Weights are each runtime's own random initialisation, so the number of detections
 * left after the score threshold can differ; it is reported beside the time.
 */
async function timeDetector(entry: ModelEntry, options: { runtime: string; repeats: string; warmup: string; onnx?: string; fuse: boolean }): Promise<BenchResult[]> {
  const [h, w] = entry.inputShape;
  const pixels = Uint8Array.from({ length: h * w * 3 }, () => Math.floor(Math.random() * 256));
  let detections = 0;
  let timesMs: number[];
  let peakTensorMb: number | undefined;
  let runtime = options.runtime;
  if (options.runtime === 'onnxruntime-node') {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(options.onnx!, { intraOpNumThreads: cpus().length, interOpNumThreads: 1 });
    // torchvision's detectors take [3, H, W] floats in [0, 1].
    const planar = new Float32Array(3 * h * w);
    for (let i = 0; i < h * w; i++) for (let k = 0; k < 3; k++) planar[k * h * w + i] = pixels[3 * i + k]! / 255;
    const input = new ort.Tensor('float32', planar, [3, h, w]);
    timesMs = await time(async () => {
      const out = await session.run({ [session.inputNames[0]!]: input });
      detections = out[session.outputNames[0]!]!.dims[0] ?? 0;
    }, Number(options.repeats), Number(options.warmup));
  } else {
    await selectBackend(options.runtime);
    const net = entry.create() as Module & { detect?: (images: RgbImage[]) => Promise<{ labels: ArrayLike<number> }[]> };
    if (typeof net.detect !== 'function') throw new CliError(`${entry.name} has no detect(images) method`, ExitCode.internal);
    net.eval();
    if (options.fuse) fuseForInference(net);
    else runtime = `${runtime} unfused`;
    const image: RgbImage = { width: w, height: h, data: pixels };
    const detect = async () => {
      const [found] = await net.detect!([image]);
      detections = found?.labels.length ?? 0;
    };
    timesMs = await time(detect, Number(options.repeats), Number(options.warmup));
    peakTensorMb = (await tf.profile(detect)).peakBytes / 2 ** 20;
    net.dispose();
  }
  return [{ model: entry.name, batch: 1, runtime, medianMs: median(timesMs), timesMs, peakRssMb: 0, ...(peakTensorMb === undefined ? {} : { peakTensorMb }), detections }];
}

/** One SGD step of a freshly initialised model on random images and labels, as torch_bench.py --train times PyTorch. */
async function timeTrainStep(model: string, runtime: string, batch: number, repeats: number, warmup: number): Promise<BenchResult> {
  const entry = getModelEntryOrFail(model);
  const [h, w, c] = entry.inputShape;
  const net = entry.create();
  net.train(true);
  const optimizer = tf.train.sgd(0.01);
  const x = tf.randomUniform([batch, h, w, c]);
  const labels = tf.tensor1d(Array.from({ length: batch }, (_, i) => (i * 37) % entry.numClasses), 'int32');
  const timesMs = await time(async () => {
    await trainStep(net, optimizer, () => crossEntropy(net.call(x) as tf.Tensor, labels));
  }, repeats, warmup);
  tf.dispose([x, labels]);
  optimizer.dispose();
  net.dispose();
  return { model, phase: 'train', batch, runtime, medianMs: median(timesMs), timesMs, peakRssMb: process.resourceUsage().maxRSS / 1024 };
}

async function time(fn: () => Promise<void>, repeats: number, warmup: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function getModelEntryOrFail(name: string) {
  try {
    const entry = getModelEntry(name);
    if (entry.task !== 'classification' && entry.task !== 'detection') throw new Error(`bench times classifiers and detectors; '${name}' is a ${entry.task} model`);
    return entry;
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

const onnxFile = (model: string) => resolve(repoRoot, '.bench-cache/onnx', `${model}.onnx`);

/**
 * Exports the models to ONNX with PyTorch (once; cached) so onnxruntime-node runs the same networks.
 * Returns the models that have an export; a model torchvision does not have (lenet5, fasterrcnn_vgg16) is
 * listed in `skipped`.
 */
async function onnxPeer(models: string[], options: BenchOptions, skipped: string[]): Promise<Set<string>> {
  try {
    await import('onnxruntime-node');
  } catch {
    skipped.push('onnxruntime-node: not installed');
    return new Set();
  }
  const missing = models.filter((m) => !existsSync(onnxFile(m)));
  if (missing.length && !existsSync(options.python)) {
    skipped.push(`onnxruntime-node: needs ONNX exports, made with PyTorch (${options.python} not found)`);
  } else if (missing.length) {
    try {
      const { stderr } = await run(options.python, ['tools/bench/export_onnx.py', '--models', missing.join(','), '--out', '.bench-cache/onnx'], { cwd: repoRoot, maxBuffer });
      for (const line of stderr.split('\n')) if (line.startsWith('skipped ')) skipped.push(`onnxruntime-node: ${line.slice(8)}`);
    } catch (error) {
      skipped.push(`onnxruntime-node: ONNX export failed: ${firstLine(error)}`);
    }
  }
  return new Set(models.filter((m) => existsSync(onnxFile(m))));
}

async function worker(args: string[]): Promise<BenchResult[]> {
  const { stdout } = await run(process.execPath, [cliMain, ...args], { maxBuffer });
  return JSON.parse(stdout.trim().split('\n').pop()!) as BenchResult[];
}

async function python(executable: string, args: string[]): Promise<BenchResult[]> {
  const { stdout } = await run(executable, args, { cwd: repoRoot, maxBuffer, env: { ...process.env, OMP_NUM_THREADS: String(cpus().length) } });
  return JSON.parse(stdout.trim().split('\n').pop()!) as BenchResult[];
}

function firstLine(error: unknown): string {
  const e = error as { stderr?: string; message?: string };
  const text = (e.stderr?.trim() || e.message || String(error)).split('\n');
  return text.find((l) => /error/i.test(l)) ?? text[0] ?? '';
}
