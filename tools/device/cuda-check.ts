/**
 * Everything issue 6 asks to be shown on a GPU, in one process: bundled by bundle.mjs into
 * .device/cuda-check.mjs and started by cuda-check.sh on the lent machine.
 *
 *   1. the core layer fixtures (PyTorch references) through the cuda backend: outputs and gradients
 *   2. 1,000 forward passes: no tensor and no device byte more afterwards
 *   3. the speed table: convkit-cuda and PyTorch (tools/device/torch_speed.py, same run, same card)
 *   4. every registered model's eval forward on cuda against wasm: 1e-4 relative in fp32, 3e-3 in TF32
 *   5. a ResNet-18 train step's gradients on cuda against the cpu backend
 * The two sections whose references run on the CPU come last; cuda-check.json is rewritten after
 * each section, so a run cut off by the device's time limit still returns what it finished.
 *
 * Writes cuda-check.json into --out and prints a short table. `--dry-run` runs the same code with
 * wasm standing in for cuda at small sizes (no GPU needed): it checks the script, not the backend.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { type Module, createModel, deterministicStateDict, getModelEntry, listModels, useBackend } from '@convkit/core';
import '@convkit/backend-cpu';
import '@convkit/backend-wasm';
import '@convkit/classifiers';
import '@convkit/segmentation';
import '@convkit/detection';
import { NATIVE_KERNELS, TF32_FLAG, cudaAvailability, fallbacksSeen, loadAddon } from '@convkit/backend-cuda';
import { LAYER_TOLERANCE, closeness, lossAndGradients, runLayerParity, summarizeParity } from '../../packages/test-utils/src/layer-parity/index.js';
import { readLayerFixtures } from '../../packages/test-utils/src/layer-parity/node.js';

const { values: opts } = parseArgs({
  options: {
    'dry-run': { type: 'boolean', default: false },
    out: { type: 'string', default: process.env.OUT ?? '.device/out' },
    repo: { type: 'string', default: '.' },
    python: { type: 'string', default: 'python3' },
    'wasm-dir': { type: 'string', default: '.device/wasm/' },
    only: { type: 'string' },
    // Seconds after which no section or model starts: the device kills a command at 600 s.
    'budget-s': { type: 'string', default: '500' },
  },
});
const budgetEnd = Number(opts['budget-s']) * 1000;
const overBudget = () => performance.now() > budgetEnd;
const dry = opts['dry-run']!;
const repo = resolve(opts.repo!);
const target = dry ? 'wasm' : 'cuda';
const only = opts.only?.split(',');
const FP32_TOLERANCE = 1e-4;
const TF32_TOLERANCE = 3e-3;
const SPEED_MODELS = ['alexnet', 'vgg16', 'googlenet', 'resnet50', 'densenet121'];
const SPEED_BATCHES = dry ? [1, 2] : [1, 32];
const SPEED_SIZE = dry ? 64 : 224;

type Json = Record<string, unknown>;
const report: Json = { startedAt: new Date().toISOString(), dryRun: dry, target, sections: {} };
const sections = report.sections as Record<string, Json>;

function log(line: string): void {
  console.log(`[${((performance.now()) / 1000).toFixed(1).padStart(6)} s] ${line}`);
}

function save(): void {
  mkdirSync(opts.out!, { recursive: true });
  writeFileSync(join(opts.out!, 'cuda-check.json'), JSON.stringify(report, null, 1) + '\n');
}

async function section(name: string, fn: (out: Json) => Promise<void>): Promise<void> {
  if (only && !only.includes(name)) return;
  const out: Json = { ok: false };
  sections[name] = out;
  if (overBudget()) {
    out.error = `not started: the ${opts['budget-s']} s budget was spent (rerun with --only ${name})`;
    log(`${name}: skipped, over budget`);
    save();
    return;
  }
  const started = performance.now();
  log(`${name}: start`);
  try {
    await fn(out);
    out.ok = out.failures === undefined || (out.failures as unknown[]).length === 0;
  } catch (error) {
    out.error = String((error as Error).stack ?? error);
    log(`${name}: ERROR ${(error as Error).message}`);
  }
  out.seconds = Math.round((performance.now() - started) / 100) / 10;
  log(`${name}: ${out.ok ? 'ok' : 'FAILED'} (${out.seconds} s)`);
  save();
}

function outputs(y: unknown): tf.Tensor[] {
  if (y instanceof tf.Tensor) return [y];
  return Object.values(y as Record<string, tf.Tensor>).filter((t) => t instanceof tf.Tensor);
}

async function forwardValues(model: Module<tf.Tensor, unknown>, x: tf.Tensor): Promise<Float32Array[]> {
  const ys = outputs(model.call(x));
  const values = await Promise.all(ys.map(async (t) => Float32Array.from(await t.data())));
  tf.dispose(ys);
  return values;
}

function setTf32(on: boolean): void {
  if (!dry) tf.env().set(TF32_FLAG, on);
}

// ---------------------------------------------------------------------------------------------

await section('availability', async (out) => {
  const loaded = loadAddon();
  out.addon = loaded.addon ? loaded.path : loaded.reason;
  if (loaded.addon) out.probe = loaded.addon.probe();
  const a = await cudaAvailability();
  out.available = a.available;
  if (!a.available) out.reason = a.reason;
  out.nativeKernels = NATIVE_KERNELS.length;
  if (!a.available && !dry) throw new Error(`cuda is not available: ${a.reason}`);
});

setWasmPaths(resolve(opts['wasm-dir']!) + '/');
if (!dry && !(sections.availability?.available)) {
  console.log(`cuda is not available here: ${sections.availability?.reason ?? sections.availability?.error}`);
  save();
  process.exit(2);
}
await useBackend(target);
log(`backend ${tf.getBackend()}`);

await section('layers', async (out) => {
  await useBackend(target);
  const fixtures = await readLayerFixtures(pathToFileURL(join(repo, 'packages/core/src/layers/fixtures/')));
  const { worst, ...result } = summarizeParity(await runLayerParity(target, fixtures));
  Object.assign(out, result, { worst: Object.fromEntries(worst), tolerance: LAYER_TOLERANCE });
});

await section('leak', async (out) => {
  await useBackend(target);
  const model = createModel('resnet18', { initWeights: false });
  model.eval();
  const size = dry ? 32 : 224;
  const x = tf.randomNormal([1, size, size, 3], 0, 1, 'float32', 5);
  const once = async () => {
    const y = model.call(x) as tf.Tensor;
    await y.data();
    y.dispose();
  };
  await once();
  const before = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
  const passes = dry ? 20 : 1000;
  for (let i = 0; i < passes; i++) await once();
  const after = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
  const failures: string[] = [];
  if (after.numTensors !== before.numTensors) failures.push(`tensors ${before.numTensors} -> ${after.numTensors}`);
  if (after.numBytesInGPU !== before.numBytesInGPU) failures.push(`device bytes ${before.numBytesInGPU} -> ${after.numBytesInGPU}`);
  Object.assign(out, { passes, input: [1, size, size, 3], before, after, native: loadAddon().addon && !dry ? loadAddon().addon!.memory() : null, failures });
  x.dispose();
  model.dispose();
});

await section('speed', async (out) => {
  const rows: Json[] = [];
  await useBackend(target);
  for (const name of SPEED_MODELS) {
    const model = createModel(name, { initWeights: false });
    model.eval();
    for (const precision of dry ? ['fp32'] : ['fp32', 'tf32']) {
      setTf32(precision === 'tf32');
      for (const batch of SPEED_BATCHES) {
        const x = tf.randomNormal([batch, SPEED_SIZE, SPEED_SIZE, 3], 0, 1, 'float32', 9);
        const run = async () => {
          const ys = outputs(model.call(x));
          await Promise.all(ys.map((t) => t.data()));
          tf.dispose(ys);
        };
        for (let i = 0; i < 3; i++) await run();
        const times: number[] = [];
        const budgetEnd = performance.now() + 4000;
        while (times.length < 20 && (times.length < 5 || performance.now() < budgetEnd)) {
          const t0 = performance.now();
          await run();
          times.push(performance.now() - t0);
        }
        const sorted = [...times].sort((p, q) => p - q);
        rows.push({ model: name, batch, precision, runtime: `convkit-${target}`, medianMs: sorted[Math.floor(sorted.length / 2)], timesMs: times });
        log(`  ${name.padEnd(12)} b${batch} ${precision} ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} ms`);
        x.dispose();
      }
    }
    setTf32(false);
    model.dispose();
  }
  let torch: Json[] = [];
  if (!dry) {
    const script = join(repo, 'tools/device/torch_speed.py');
    const stdout = execFileSync(opts.python!, [script, '--models', SPEED_MODELS.join(','), '--batches', SPEED_BATCHES.join(','), '--size', String(SPEED_SIZE)], { encoding: 'utf8', maxBuffer: 64 << 20 });
    torch = JSON.parse(stdout.trim().split('\n').pop()!) as Json[];
  }
  const table = rows.map((r) => {
    const peer = torch.find((t) => t.model === r.model && t.batch === r.batch && t.precision === r.precision);
    const ratio = peer ? (r.medianMs as number) / (peer.medianMs as number) : null;
    const goal = (r.batch as number) >= 32 ? 1.2 : 1.5;
    return { ...r, timesMs: undefined, torchMs: peer?.medianMs ?? null, ratio, goal, meetsGoal: ratio === null ? null : ratio <= goal };
  });
  Object.assign(out, { size: SPEED_SIZE, rows: table, torch, torchDevice: torch[0]?.device, torchVersion: torch[0]?.torch });
});

await section('zoo', async (out) => {
  const rows: Json[] = [];
  const failures: string[] = [];
  const names = dry ? ['lenet5', 'resnet18', 'googlenet', 'fcn_tiny', 'yolo_tiny', 'fasterrcnn_small'] : listModels().map((m) => m.name);
  const skipped: string[] = [];
  for (const name of names) {
    if (overBudget()) {
      skipped.push(name);
      continue;
    }
    const entry = getModelEntry(name);
    const size = Math.min(entry.inputShape[0], Math.max(entry.minInputSize, dry ? 32 : 64));
    const started = performance.now();
    await useBackend('wasm');
    const model = createModel(name, { initWeights: false });
    model.loadStateDict(deterministicStateDict(model));
    model.eval();
    const x = tf.randomNormal([1, size, size, entry.inputShape[2]], 0, 1, 'float32', 7);
    try {
      const reference = await forwardValues(model, x);
      await useBackend(target);
      setTf32(false);
      const fp32 = await forwardValues(model, x);
      setTf32(true);
      const tf32 = await forwardValues(model, x);
      setTf32(false);
      const e32 = Math.max(...fp32.map((v, i) => closeness(v, reference[i]!).maxRelativeError));
      const eTf = Math.max(...tf32.map((v, i) => closeness(v, reference[i]!).maxRelativeError));
      const finite = reference.every((v) => v.every(Number.isFinite));
      rows.push({ model: name, size, fp32: e32, tf32: eTf, finite, seconds: Math.round((performance.now() - started) / 100) / 10 });
      if (!(e32 <= FP32_TOLERANCE)) failures.push(`${name} fp32 ${e32.toExponential(2)}`);
      if (!(eTf <= TF32_TOLERANCE)) failures.push(`${name} tf32 ${eTf.toExponential(2)}`);
      log(`  ${name.padEnd(18)} ${size}px fp32 ${e32.toExponential(2)} tf32 ${eTf.toExponential(2)}`);
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message}`);
    } finally {
      setTf32(false);
      x.dispose();
      model.dispose();
    }
  }
  if (skipped.length) failures.push(`not run (time budget; rerun with --only zoo): ${skipped.join(', ')}`);
  Object.assign(out, { reference: 'wasm', tolerances: { fp32: FP32_TOLERANCE, tf32: TF32_TOLERANCE }, rows, skipped, failures });
});

await section('train', async (out) => {
  // Batch 8: train-mode BatchNorm over fewer values per channel (layer4 is 1x1 here) is so
  // ill-conditioned that float rounding alone moves the gradients.
  const size = 32;
  const batch = 8;
  await useBackend('cpu');
  const model = createModel('resnet18', { initWeights: false });
  model.loadStateDict(deterministicStateDict(model));
  model.train(true);
  const x = tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 3);
  const labels = tf.tensor1d([1, 7, 0, 999, 3, 500, 42, 8], 'int32');
  const gradients = () => lossAndGradients(model, x, labels);
  // Train-mode BatchNorm updates running statistics: restore them between the two runs.
  const buffers = await Promise.all(model.namedBuffers().map(async ([, b]) => ({ b, data: await b.data() })));
  const cpu = await gradients();
  for (const { b, data } of buffers) tf.tidy(() => b.assign(tf.tensor(data, b.shape, b.dtype)));
  await useBackend(target);
  setTf32(false);
  const gpu = await gradients();
  let worst = { error: 0, name: '' };
  for (const [name, expected] of cpu.grads) {
    const actual = gpu.grads.get(name);
    const e = actual ? closeness(actual, expected).maxRelativeError : Infinity;
    if (e > worst.error) worst = { error: e, name };
  }
  const lossError = Math.abs(gpu.loss - cpu.loss) / Math.abs(cpu.loss);
  const failures = worst.error <= FP32_TOLERANCE && lossError <= FP32_TOLERANCE ? [] : [`worst gradient ${worst.name} ${worst.error.toExponential(2)}, loss ${lossError.toExponential(2)}`];
  Object.assign(out, { model: 'resnet18', input: [batch, size, size, 3], reference: 'cpu', parameters: cpu.grads.size, lossCpu: cpu.loss, lossTarget: gpu.loss, worstGradient: worst, tolerance: FP32_TOLERANCE, failures });
  tf.dispose([x, labels]);
  model.dispose();
});

report.fallbackKernels = fallbacksSeen();
report.finishedAt = new Date().toISOString();
save();

const zooKernels = JSON.parse(readFileSync(join(repo, 'tools/kernels/zoo-kernels.json'), 'utf8')) as { all: string[] };
report.zooKernelsNotNative = zooKernels.all.filter((k) => !NATIVE_KERNELS.includes(k));
save();
console.log(`\nkernels: ${NATIVE_KERNELS.length} native; fallbacks that ran: ${(report.fallbackKernels as string[]).join(', ') || 'none'}; zoo kernels not native: ${(report.zooKernelsNotNative as string[]).join(', ') || 'none'}`);
console.log('\nsection        ok     seconds  summary');
for (const [name, s] of Object.entries(sections)) {
  const summary = s.error ? String(s.error).split('\n')[0] : s.failures && (s.failures as string[]).length ? (s.failures as string[]).slice(0, 3).join('; ') : name === 'layers' ? `worst ${(s.worstRelativeError as number).toExponential(2)} over ${s.comparisons}` : name === 'train' ? `worst ${(s.worstGradient as { error: number }).error.toExponential(2)}` : '';
  console.log(`${name.padEnd(14)} ${String(s.ok).padEnd(6)} ${String(s.seconds).padStart(7)}  ${summary}`);
}
const speed = sections.speed?.rows as Json[] | undefined;
if (speed?.length) {
  console.log('\nmodel        batch precision  convkit ms  torch ms  ratio  goal');
  for (const r of speed) {
    console.log(`${String(r.model).padEnd(12)} ${String(r.batch).padStart(5)} ${String(r.precision).padEnd(9)} ${(r.medianMs as number).toFixed(2).padStart(10)} ${r.torchMs === null ? '       -' : (r.torchMs as number).toFixed(2).padStart(9)} ${r.ratio === null ? '    -' : (r.ratio as number).toFixed(2).padStart(6)}  ${r.goal}`);
  }
}
console.log(`\nwritten: ${join(opts.out!, 'cuda-check.json')}`);
process.exit(Object.values(sections).every((s) => s.ok) ? 0 : 1);
