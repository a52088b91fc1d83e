#!/usr/bin/env node
/**
 * Training speed in images per second, convkit's backends beside PyTorch on the same recipes. A script,
 * not a test: it prints a table and writes train-speed.json.
 *
 *   node tools/bench/train-speed.mjs [--backends onednn,wasm,cpu] [--rounds 2] [--epochs 3] [--warmup 1] [--single-epoch-backends cpu]
 *                                    [--resnet-repeats 3] [--no-resnet] [--out convkit-out/bench-train]
 *
 * Needs apps/cli/dist (`pnpm turbo run build --filter=@convkit/cli...`) and /usr/bin/python3 with torch and
 * torchvision (or --python). Recipes:
 * - digits: `convkit train --model lenet5 --data digits`, its epochs timed (the digits already decoded and
 *   upscaled in memory, so it measures the backend); PyTorch: tools/bench/torch_train_speed.py --recipe digits.
 * - folder: `convkit train --model lenet5 --data <class folders of PNGs>` (the digits written out once into a
 *   temp dir), decoding in @convkit/data's worker threads included; PyTorch: ImageFolder + DataLoader.
 * - resnet18: one SGD step at 224x224, batch 8, as `convkit bench --train resnet18:8` times it (its
 *   bench-worker and tools/bench/torch_bench.py), as images per second.
 * The LeNet recipes run the CLI's own trainers (apps/cli/dist/training), timing trainEpoch only: the CLI's
 * held-out scoring and checkpoint writing after each epoch are left out. Every runtime runs in a process of
 * its own; the rounds interleave them, so a change in the machine's load falls on all of them.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
const cliRoot = join(repoRoot, 'apps/cli');
const cliMain = join(cliRoot, 'dist/main.js');
// tools/ does not depend on the CLI's packages: they are resolved from apps/cli, as its dist imports them.
const requireCli = createRequire(join(cliRoot, 'package.json'));
const importFromCli = (specifier) => import(pathToFileURL(requireCli.resolve(specifier)).href);
const importDist = (file) => import(pathToFileURL(join(cliRoot, 'dist', file)).href);
const run = promisify(execFile);
const maxBuffer = 64 * 1024 * 1024;

const { values: args } = parseArgs({
  options: {
    backends: { type: 'string', default: 'onednn,wasm,cpu' },
    rounds: { type: 'string', default: '2' },
    epochs: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    'resnet-repeats': { type: 'string', default: '3' },
    'resnet-backends': { type: 'string', default: 'onednn,wasm' },
    'no-resnet': { type: 'boolean', default: false },
    // tfjs' cpu backend takes about 95 s for one LeNet-5 epoch here: one epoch, no warm-up, first round only.
    'single-epoch-backends': { type: 'string', default: 'cpu' },
    out: { type: 'string', default: resolve(repoRoot, 'convkit-out/bench-train') },
    python: { type: 'string', default: '/usr/bin/python3' },
    // Internal: one convkit runtime on one recipe, in a process of its own.
    worker: { type: 'string' },
    recipe: { type: 'string' },
    data: { type: 'string' },
  },
});

const whole = (name) => {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < (name === 'warmup' ? 0 : 1)) throw new Error(`--${name} takes a whole number${name === 'warmup' ? '' : ' of at least 1'}, not '${args[name]}'`);
  return value;
};
const list = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const lastJson = (stdout) => JSON.parse(stdout.trim().split('\n').pop());

/** Times `warmup + epochs` epochs of one LeNet-5 recipe with the CLI's trainer on `backend`; prints JSON. */
async function worker(backend, recipe, data) {
  const [epochs, warmup] = [whole('epochs'), whole('warmup')];
  const tf = await importFromCli('@tensorflow/tfjs-core');
  const { selectBackend } = await importDist('setup.js');
  const { openDataSet } = await importDist('training/datasets.js');
  const { lookupModel } = await importDist('lookup-model.js');
  await selectBackend(backend);
  const entry = lookupModel('lenet5');
  // What `convkit train` does before its first epoch (apps/cli/src/commands/train.ts), with its defaults.
  const set = openDataSet(recipe === 'digits' ? 'digits' : data, { task: entry.task });
  const settings = { ...set.defaults(entry), seed: 0 };
  const model = entry.create({ numClasses: set.classes.length });
  set.initialise(model, settings.seed);
  const optimizer = tf.train.adam(settings.learningRate);
  const trainer = await set.prepare(model, entry, settings);
  const epochSeconds = [];
  let images = 0;
  let loss = NaN;
  for (let epoch = 1; epoch <= warmup + epochs; epoch++) {
    let steps = 0;
    const started = performance.now();
    ({ loss } = await trainer.trainEpoch(epoch, optimizer, (done) => {
      steps = done;
    }));
    const seconds = (performance.now() - started) / 1000;
    images = steps * settings.batchSize;
    if (epoch > warmup) epochSeconds.push(seconds);
  }
  trainer.dispose();
  optimizer.dispose();
  model.dispose();
  const imagesPerSecond = epochSeconds.map((s) => images / s);
  console.log(JSON.stringify({
    recipe, runtime: backend, batch: settings.batchSize, learningRate: settings.learningRate, imagesPerEpoch: images, epochSeconds,
    imagesPerSecond, medianImagesPerSecond: median(imagesPerSecond), lastLoss: loss,
  }));
  // The data loader's worker threads end with close(); exit rather than wait for them.
  process.exit(0);
}

/** The bundled digits' 1,438 training images as `<root>/<digit>/<n>.png`, 8x8 grey PNGs (apps/cli/test/digit-files.ts). */
async function writeDigitsFolder(root) {
  const { loadDigits, splitDigits } = await importFromCli('@convkit/classifiers');
  const { encodePng } = await importDist('images.js');
  const { train } = splitDigits(await loadDigits());
  for (let i = 0; i < train.count; i++) {
    const dir = join(root, String(train.labels[i]));
    mkdirSync(dir, { recursive: true });
    const rgba = new Uint8Array(64 * 4);
    for (let p = 0; p < 64; p++) rgba.fill(Math.round(train.images[i * 64 + p] * 255), 4 * p, 4 * p + 3).fill(255, 4 * p + 3, 4 * p + 4);
    writeFileSync(join(dir, `${i}.png`), encodePng(rgba, 8, 8));
  }
  return train.count;
}

/** `lscpu`'s model name and the SIMD and matrix flags that matter to these kernels. */
function machine() {
  let model = cpus()[0]?.model ?? 'unknown CPU';
  let flags = [];
  try {
    const text = execFileSync('lscpu', { encoding: 'utf8' });
    model = /^Model name:\s*(.+)$/m.exec(text)?.[1]?.trim() ?? model;
    const all = new Set((/^Flags:\s*(.+)$/m.exec(text)?.[1] ?? '').split(/\s+/));
    flags = ['avx2', 'fma', 'avx512f', 'avx512_vnni', 'avx512_bf16', 'amx_tile', 'amx_bf16', 'amx_int8'].filter((f) => all.has(f));
  } catch {
    // No lscpu: Node's model string stands, without flags.
  }
  return { cpu: model, cores: cpus().length, flags, node: process.versions.node, tfjs: requireCli('@tensorflow/tfjs-core/package.json').version };
}

async function main() {
  const [rounds, epochs, warmup, resnetRepeats] = [whole('rounds'), whole('epochs'), whole('warmup'), whole('resnet-repeats')];
  const backends = list(args.backends);
  const loadStart = loadavg();
  const started = new Date();
  const about = machine();
  console.log(`${about.cpu}, ${about.cores} cores (${about.flags.join(', ') || 'no flags read'}); load average at start ${loadStart.map((l) => l.toFixed(2)).join(' ')}`);

  const folder = mkdtempSync(join(tmpdir(), 'convkit-train-speed-'));
  const results = [];
  const skipped = [];
  try {
    const count = await writeDigitsFolder(folder);
    console.log(`wrote ${count} digits as PNGs in ${folder}`);
    const common = ['--epochs', String(epochs), '--warmup', String(warmup)];
    const singleEpoch = list(args['single-epoch-backends']);
    const convkitJob = (recipe, backend) => ({
      label: `lenet5 ${recipe} on ${backend}`,
      run: () => node([fileURLToPath(import.meta.url), '--worker', backend, '--recipe', recipe, '--data', folder, ...(singleEpoch.includes(backend) ? ['--epochs', '1', '--warmup', '0'] : common)], backend),
    });
    const roundBackends = (round) => backends.filter((b) => round === 1 || !singleEpoch.includes(b));
    const torchJob = (recipe, extra = []) => ({
      label: `lenet5 ${recipe} on pytorch ${extra.join(' ')}`.trim(),
      run: () => python(['tools/bench/torch_train_speed.py', '--recipe', recipe, '--folder', folder, ...common, ...extra]),
    });
    const jobs = [];
    for (let round = 1; round <= rounds; round++) {
      for (const backend of roundBackends(round)) jobs.push({ round, ...convkitJob('digits', backend) });
      jobs.push({ round, ...torchJob('digits') });
      for (const backend of roundBackends(round)) jobs.push({ round, ...convkitJob('folder', backend) });
      // The brief's loader (2 workers, started afresh each epoch, PyTorch's default) and one like convkit's
      // on 2 cores (1 worker thread, kept between epochs).
      jobs.push({ round, ...torchJob('folder', ['--workers', '2']) });
      jobs.push({ round, ...torchJob('folder', ['--workers', '1', '--persistent-workers']) });
    }
    if (!args['no-resnet']) {
      const step = ['--train', '8', '--repeats', String(resnetRepeats), '--warmup', '1'];
      for (const backend of list(args['resnet-backends'])) {
        jobs.push({ round: 1, label: `resnet18 train step on ${backend}`, run: async () => resnetRow(await node([cliMain, 'bench-worker', 'resnet18', '--runtime', backend, ...step], backend)) });
      }
      jobs.push({ round: 1, label: 'resnet18 train step on pytorch', run: async () => resnetRow(await python(['tools/bench/torch_bench.py', '--models', 'resnet18', '--batches', '8', '--train', '--repeats', String(resnetRepeats), '--warmup', '1'])) });
    }
    for (const [i, job] of jobs.entries()) {
      const load = loadavg()[0];
      process.stdout.write(`[${i + 1}/${jobs.length}] ${job.label} (round ${job.round}, load ${load.toFixed(2)}) ... `);
      const t0 = performance.now();
      try {
        const result = await job.run();
        results.push({ ...result, round: job.round, loadAverage1mAtStart: load });
        console.log(`${result.medianImagesPerSecond.toFixed(1)} img/s (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      } catch (error) {
        const line = String(error?.stderr?.trim() || error?.message || error).split('\n').find((l) => /error/i.test(l)) ?? String(error).split('\n')[0];
        skipped.push(`${job.label}: ${line}`);
        console.log(`failed: ${line}`);
      }
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }

  const loadEnd = loadavg();
  const summary = summarise(results);
  const table = formatTable(summary);
  const out = resolve(args.out);
  mkdirSync(out, { recursive: true });
  const file = join(out, 'train-speed.json');
  const json = {
    date: started.toISOString(), minutes: (Date.now() - started.getTime()) / 60000, machine: about,
    loadAverage: { start: loadStart, end: loadEnd },
    settings: { rounds, epochs, warmup, singleEpochBackends: list(args['single-epoch-backends']), resnetRepeats, openmp: 'OMP_WAIT_POLICY=PASSIVE for onednn and PyTorch', pytorchThreads: 2, convkitLoaderWorkers: (await importFromCli('@convkit/data')).defaultWorkers() },
    summary, results, skipped,
  };
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\n${table}\n`);
  console.log(`Machine: ${about.cpu}, ${about.cores} cores, ${about.flags.join(', ')}; Node ${about.node}, tfjs ${about.tfjs}.`);
  console.log(`Load average (1, 5, 15 min): ${loadStart.map((l) => l.toFixed(2)).join(', ')} at start, ${loadEnd.map((l) => l.toFixed(2)).join(', ')} at end.`);
  for (const s of skipped) console.log(`skipped ${s}`);
  console.log(`Wrote ${file}`);
}

/** bench-worker's and torch_bench.py's one training step, as images per second. */
function resnetRow([step]) {
  const imagesPerSecond = step.timesMs.map((ms) => (step.batch * 1000) / ms);
  return {
    recipe: 'resnet18', runtime: step.runtime === 'pytorch-cpu' ? 'pytorch' : step.runtime, batch: step.batch, stepMs: step.timesMs,
    medianStepMs: step.medianMs, imagesPerSecond, medianImagesPerSecond: (step.batch * 1000) / step.medianMs, peakRssMb: step.peakRssMb,
  };
}

/** One row per recipe and runtime: the median over every timed epoch (or step) of every round, and its ratio to PyTorch's. */
function summarise(results) {
  const rows = [];
  for (const recipe of ['digits', 'folder', 'resnet18']) {
    const mine = results.filter((r) => r.recipe === recipe);
    const runtimes = [...new Set(mine.map((r) => r.runtime))];
    const perRuntime = runtimes.map((runtime) => {
      const samples = mine.filter((r) => r.runtime === runtime).flatMap((r) => r.imagesPerSecond);
      return { recipe, runtime, medianImagesPerSecond: median(samples), samples: samples.length };
    });
    // The reference: the plain PyTorch recipe (for the folder, the brief's DataLoader with 2 workers).
    const reference = perRuntime.find((r) => r.runtime === 'pytorch' || r.runtime === 'pytorch, 2 workers');
    for (const row of perRuntime) rows.push({ ...row, vsPytorch: reference ? row.medianImagesPerSecond / reference.medianImagesPerSecond : null });
  }
  return rows;
}

/** The table's recipe column; the file's header comment says what each runs. */
const RECIPES = {
  digits: 'LeNet-5, digits in memory (epoch)',
  folder: 'LeNet-5, PNG folder via loader (epoch)',
  resnet18: 'ResNet-18 224x224 b8 (SGD step)',
};

function formatTable(summary) {
  const lines = ['| recipe | runtime | images/s (median) | timed epochs or steps | vs PyTorch |', '|---|---|---|---|---|'];
  for (const row of summary) {
    lines.push(`| ${RECIPES[row.recipe]} | ${row.runtime} | ${row.medianImagesPerSecond.toFixed(row.medianImagesPerSecond < 100 ? 1 : 0)} | ${row.samples} | ${row.vsPytorch === null ? '-' : `${row.vsPytorch < 0.1 ? row.vsPytorch.toPrecision(2) : row.vsPytorch.toFixed(2)}x`} |`);
  }
  return lines.join('\n');
}

// OpenMP's threads (oneDNN's and PyTorch's) spin between kernels by default; on a shared machine they then
// hold cores that other processes want, and a parallel region waits for a thread that is not running.
const passive = { OMP_WAIT_POLICY: 'PASSIVE' };

async function node(argv, backend) {
  const env = backend === 'onednn' ? { ...process.env, ...passive } : process.env;
  const { stdout } = await run(process.execPath, argv, { cwd: repoRoot, maxBuffer, env });
  return lastJson(stdout);
}

async function python(argv) {
  const { stdout } = await run(args.python, argv, { cwd: repoRoot, maxBuffer, env: { ...process.env, ...passive, OMP_NUM_THREADS: String(cpus().length) } });
  return lastJson(stdout);
}

if (args.worker) await worker(args.worker, args.recipe, args.data);
else await main();
