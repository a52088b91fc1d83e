import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { launchChromium } from '@convkit/browser-test';
import { serveIsolated } from './serve.js';
import type { BenchConfig, BenchPage, BenchRow } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = resolve(here, '..');
const repoRoot = resolve(packageRoot, '../../..');
const require = createRequire(import.meta.url);

/** tfjs's CI flags for WebGPU in software on Linux (as packages/backend-webgpu's browser suite). */
const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'];

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'resnet50,googlenet,densenet121' },
    only: { type: 'string' },
    warmup: { type: 'string', default: '1' },
    repeats: { type: 'string', default: '7' },
    'max-seconds': { type: 'string', default: '20' },
    out: { type: 'string', default: resolve(repoRoot, 'convkit-out/bench-browser/bench-browser.json') },
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});

const models = args.models.split(',').map((s) => s.trim()).filter(Boolean);
const timing = { warmup: Number(args.warmup), repeats: Number(args.repeats), maxSeconds: Number(args['max-seconds']) };
for (const [name, value] of Object.entries(timing)) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name === 'maxSeconds' ? 'max-seconds' : name} must be a whole number of at least 1, not '${value}'`);
}
const threads = cpus().length;

/** The rows of the table, in order; `label` names each in --only and in the output. */
const CONFIGS: (Omit<BenchConfig, 'models' | 'warmup' | 'repeats' | 'maxSeconds'> & { label: string })[] = [
  { label: 'convkit-wasm-1', runtime: 'convkit', backend: 'wasm', threads: 1 },
  { label: 'convkit-wasm', runtime: 'convkit', backend: 'wasm', threads },
  { label: 'convkit-webgl', runtime: 'convkit', backend: 'webgl', threads: null },
  { label: 'convkit-webgpu', runtime: 'convkit', backend: 'webgpu', threads: null },
  { label: 'ort-wasm-1', runtime: 'onnxruntime-web', backend: 'wasm', threads: 1 },
  { label: 'ort-wasm', runtime: 'onnxruntime-web', backend: 'wasm', threads },
  { label: 'ort-webgpu', runtime: 'onnxruntime-web', backend: 'webgpu', threads: null },
];
const only = args.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((l) => !CONFIGS.some((c) => c.label === l)) ?? [];
if (unknown.length) throw new Error(`--only: no configuration ${unknown.join(', ')}; there are ${CONFIGS.map((c) => c.label).join(', ')}`);
const configs = CONFIGS.filter((c) => !only || only.includes(c.label));

/** The ONNX exports `convkit bench` makes (.bench-cache/onnx), made here too where missing. */
const onnxDir = resolve(repoRoot, '.bench-cache/onnx');
const missing = models.filter((m) => !existsSync(resolve(onnxDir, `${m}.onnx`)));
if (missing.length && configs.some((c) => c.runtime === 'onnxruntime-web')) {
  console.log(`exporting ${missing.join(', ')} to ONNX with ${args.python} (tools/bench/export_onnx.py)`);
  execFileSync(args.python, ['tools/bench/export_onnx.py', '--models', missing.join(','), '--out', onnxDir], { cwd: repoRoot, stdio: 'inherit' });
}

function machine() {
  const lscpu = execFileSync('lscpu', { encoding: 'utf8' });
  const field = (name: string) => lscpu.match(new RegExp(`^${name}:\\s*(.+)$`, 'm'))?.[1]?.trim();
  const flags = new Set(field('Flags')?.split(/\s+/) ?? []);
  return {
    cpu: field('Model name'),
    cores: cpus().length,
    isa: ['avx2', 'fma', 'avx512f', 'avx512_vnni', 'amx_bf16'].filter((f) => flags.has(f)),
    loadBefore: loadavg().map((l) => Number(l.toFixed(2))),
    chromium: execFileSync(process.env.CONVKIT_CHROMIUM ?? '/usr/bin/chromium', ['--version'], { encoding: 'utf8' }).trim(),
  };
}

const bundle = await build({
  entryPoints: [resolve(packageRoot, 'page/main.ts')],
  bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent',
  // onnxruntime-web is loaded from its own dist/ at run time; node: imports are never reached in a page.
  external: ['/ort/*', 'node:*'],
});
const server = await serveIsolated({
  '/tfjs-wasm/': dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')),
  '/ort/': dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm')),
  '/models/': onnxDir,
}, {
  '/': { type: 'text/html; charset=utf-8', body: readFileSync(resolve(packageRoot, 'page/index.html')) },
  '/main.js': { type: 'text/javascript; charset=utf-8', body: bundle.outputFiles[0]!.contents },
});

const before = machine();
console.log(`${before.cpu}, ${before.cores} cores (${before.isa.join(', ')}); ${before.chromium}; load ${before.loadBefore.join(' ')}`);
const session = await launchChromium({ args: WEBGPU_ARGS, echo: !!process.env.CONVKIT_BROWSER_LOG });
const rows: (BenchRow & { config: string })[] = [];
try {
  for (const config of configs) {
    // A fresh page per configuration: tfjs-wasm picks its binary, and onnxruntime its thread pool, once per page.
    await session.page.goto(`${server.url}/?${config.label}`);
    await session.page.waitForFunction(() => document.querySelector('#status')?.textContent === 'ready', undefined, { timeout: 60_000 });
    const env = await session.page.evaluate(() => (window as unknown as { convkitBench: BenchPage }).convkitBench.environment());
    if (!env.crossOriginIsolated) throw new Error('the bench page is not cross-origin isolated: threaded wasm cannot run; check the COOP/COEP headers of src/serve.ts');
    const { label, ...rest } = config;
    const measured = await session.page.evaluate((c) => (window as unknown as { convkitBench: BenchPage }).convkitBench.run(c), { ...rest, models, ...timing });
    for (const row of measured) {
      rows.push({ ...row, config: label });
      console.log(`${label.padEnd(15)} ${row.model.padEnd(12)} ${row.error ? `failed: ${row.error.split('\n')[0]}` : `first ${row.firstMs!.toFixed(0)} ms, median ${row.medianMs!.toFixed(1)} ms of ${row.timesMs!.length}`}`);
    }
  }
} finally {
  await session.close();
  await server.close();
}

/** Max |a - b| / max |b|: the measure convkit's tolerances are stated in. */
function relativeError(actual: number[], expected: number[]): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  }
  return worst / (scale || 1);
}

// Each runtime's rows computed one network with one set of weights: convkit's (deterministic) and the
// ONNX export's (torchvision's random initialisation). Each row is compared with the first of its runtime.
const results = rows.map(({ logits, ...row }) => {
  const reference = rows.find((r) => r.model === row.model && r.runtime.split(' ')[0] === row.runtime.split(' ')[0] && r.logits && r.config !== row.config);
  const ortWasm = rows.find((r) => r.model === row.model && r.config === 'ort-wasm' && r.medianMs !== undefined);
  return {
    ...row,
    ...(logits && reference && rows.indexOf(reference) < rows.findIndex((r) => r.config === row.config && r.model === row.model) ? { relativeErrorVs: { [reference.config]: relativeError(logits, reference.logits!) } } : {}),
    ...(row.medianMs !== undefined && ortWasm ? { timeVsOrtWasm: row.medianMs / ortWasm.medianMs! } : {}),
  };
});
const after = loadavg().map((l) => Number(l.toFixed(2)));

const header = ['model', 'configuration', 'detail', 'first ms', 'median ms', 'runs', 'x ort-wasm', 'rel. error'];
const table = results.map((r) => [
  r.model, r.config, r.detail, r.firstMs?.toFixed(0) ?? '-', r.medianMs?.toFixed(1) ?? (r.error ? `failed: ${r.error.split('\n')[0]!.slice(0, 60)}` : '-'),
  String(r.timesMs?.length ?? 0), r.timeVsOrtWasm ? `${r.timeVsOrtWasm.toFixed(2)}x` : '-',
  r.relativeErrorVs ? Object.entries(r.relativeErrorVs).map(([k, v]) => `${v.toExponential(1)} vs ${k}`).join('') : '-',
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
console.log(`\n${[header, ...table].map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')).join('\n')}`);
console.log(`load average before ${before.loadBefore.join(' ')}, after ${after.join(' ')}`);

mkdirSync(dirname(args.out), { recursive: true });
writeFileSync(args.out, `${JSON.stringify({ date: new Date().toISOString(), machine: { ...before, loadAfter: after }, timing, results }, null, 2)}\n`);
console.log(`wrote ${args.out}`);
