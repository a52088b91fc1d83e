import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChromiumSession, type StaticServer, launchChromium, serveStatic } from '@convkit/browser-test';
import { type ParityMeasurement, summarizeParity } from '@convkit/test-utils/layer-parity';
import type { Measurement } from '../../backend-webgl/test/page/compare.js';

/**
 * The layer fixtures and one classifier per family inside headless Chromium (Debian's package) on webgpu,
 * against PyTorch and against cpu in the same page. The page is test/page/, on the webgl suite's harness
 * (imported from packages/backend-webgl/test/page/), bundled here with esbuild and served from memory on
 * 127.0.0.1 (a secure context, which navigator.gpu needs) with the fixture folder of packages/core.
 *
 * WebGPU runs on Dawn's SwiftShader adapter (Vulkan on the CPU), started by the flags tfjs's own CI uses.
 * Where it cannot start, every test is reported skipped with the plugin's reason.
 *
 * Tolerances are relative: max |a - b| / max |b| over each tensor. Measured in Chromium 156 (Debian),
 * WebGPU on Dawn's SwiftShader adapter, float32 storage buffers:
 * - layer fixtures against PyTorch: 2.7e-7 outputs, 2.6e-6 gradients (nested_model_train features.1.weight),
 *   held to LAYER_TOLERANCE (1e-5) of @convkit/test-utils/layer-parity, as every backend; the dilated cases need kernels/PadV2.ts (without it they are
 *   off by 100% or more);
 * - tf.pad at ranks 4 to 6: exact;
 * - one classifier per family, webgpu against cpu: 2.2e-7 (lenet5) to 3.3e-6 (vgg11); held to 1e-4, as on webgl.
 */
const TOLERANCE: Record<string, number> = {
  'webgpu classifiers': 1e-4,
  'webgpu pad': 0,
};

/** tfjs's CI flags for WebGPU in software on Linux. */
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'];

/** 'families' (default): the smallest classifier of each family; 'all'; or a comma-separated list of names. */
const CLASSIFIERS = process.env.CONVKIT_BROWSER_CLASSIFIERS ?? 'families';

const page = new URL('./page/', import.meta.url);
const fixtures = fileURLToPath(new URL('../../core/src/layers/fixtures/', import.meta.url));

/** The page's `window.convkitSuite` (test/page/main.ts); page.evaluate sends each callback's source, so each names it itself. */
interface Suite {
  environment(): Promise<Environment>;
  layers(backend: string): Promise<ParityMeasurement[]>;
  classifiers(which: string): Promise<Measurement[]>;
  pad(): Promise<Measurement[]>;
}
interface Environment {
  backends: { name: string; available: boolean; reason?: string }[];
  adapter?: { vendor?: string; architecture?: string };
  classifiers: string[];
}
type WithSuite = { convkitSuite: Suite };

let server: StaticServer | undefined;
let session: ChromiumSession | undefined;
let environment: Environment | undefined;
/** Why webgpu cannot run in this Chromium, or undefined when it can. */
let unavailable: string | undefined;

beforeAll(async () => {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('main.ts', page))],
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent',
    // loadDigits() of @convkit/classifiers imports node:fs/promises when called, which only Node does.
    external: ['node:*'],
  });
  server = await serveStatic({ '/fixtures/': fixtures }, {
    '/': { type: 'text/html; charset=utf-8', body: readFileSync(new URL('index.html', page)) },
    '/main.js': { type: 'text/javascript; charset=utf-8', body: bundle.outputFiles[0]!.contents },
  });
  session = await launchChromium({ echo: !!process.env.CONVKIT_BROWSER_LOG, args: WEBGPU_ARGS });
  await session.page.goto(`${server.url}/`);
  await session.page.waitForFunction(() => document.querySelector('#status')?.textContent === 'ready', undefined, { timeout: 30_000 });
  environment = await session.page.evaluate(() => (window as unknown as WithSuite).convkitSuite.environment());
  const webgpu = environment.backends.find((b) => b.name === 'webgpu');
  unavailable = webgpu?.available ? undefined : (webgpu?.reason ?? 'the webgpu plugin is not registered in the page');
  // The default reporter does not print ctx.skip's note; the reason belongs in the log.
  if (unavailable) console.warn(`skipping the webgpu browser suite: ${unavailable}`);
}, 120_000);

afterAll(async () => {
  await session?.close();
  await server?.close();
});

/** Fails listing every measurement over its tolerance or in error; prints the largest error per quantity. */
function expectWithinTolerance(measurements: Measurement[]): void {
  const worst = new Map<string, Measurement>();
  const failures: string[] = [];
  for (const m of measurements) {
    const key = `${m.backend} ${m.suite}`;
    const tolerance = TOLERANCE[key];
    if (tolerance === undefined) throw new Error(`no tolerance stated for '${key}'`);
    if (m.error) failures.push(`${key} ${m.name} ${m.quantity}: ${m.error}`);
    else if (!(m.relativeError! <= tolerance)) failures.push(`${key} ${m.name} ${m.quantity}: ${m.relativeError!.toExponential(2)} > ${tolerance}`);
    const quantity = `${key} ${m.quantity}`;
    if (!m.error && !(m.relativeError! <= (worst.get(quantity)?.relativeError ?? -1))) worst.set(quantity, m);
  }
  console.log([...worst].map(([q, m]) => `largest ${q}: ${m.relativeError!.toExponential(2)} (${m.name})`).join('\n'));
  expect(failures, `log of the page:\n${session?.log.slice(-20).join('\n')}`).toEqual([]);
}

describe('in Chromium with a software WebGPU adapter', () => {
  it('starts webgpu, or says why not', (ctx) => {
    if (unavailable) ctx.skip(`webgpu cannot start in this Chromium: ${unavailable}`);
    console.log(`WebGPU adapter: ${JSON.stringify(environment!.adapter)}; classifiers: ${environment!.classifiers.join(', ')}`);
    expect(environment!.backends.map((b) => [b.name, b.available, b.reason])).toEqual([['webgpu', true, undefined], ['cpu', true, undefined]]);
  });

  it('pads at ranks 5 and 6 exactly as cpu does (tfjs 4.22 only compiles its pad shader up to rank 4)', async (ctx) => {
    if (unavailable) ctx.skip(`webgpu cannot start in this Chromium: ${unavailable}`);
    expectWithinTolerance(await session!.page.evaluate(() => (window as unknown as WithSuite).convkitSuite.pad()));
  });

  it('layer fixtures on webgpu match PyTorch', async (ctx) => {
    if (unavailable) ctx.skip(`webgpu cannot start in this Chromium: ${unavailable}`);
    const summary = summarizeParity(await session!.page.evaluate((b) => (window as unknown as WithSuite).convkitSuite.layers(b), 'webgpu'));
    console.log(`${summary.cases} cases, ${summary.comparisons} tensors compared, ${summary.skipped} skipped\n` +
      [...summary.worst].map(([q, w]) => `largest webgpu layers ${q}: ${w.relativeError.toExponential(2)} (${w.name})`).join('\n'));
    expect(summary.failures, `log of the page:\n${session?.log.slice(-20).join('\n')}`).toEqual([]);
  });

  it(`classifiers (${CLASSIFIERS}) give the same logits on webgpu as on cpu`, async (ctx) => {
    if (unavailable) ctx.skip(`webgpu cannot start in this Chromium: ${unavailable}`);
    expectWithinTolerance(await session!.page.evaluate((which) => (window as unknown as WithSuite).convkitSuite.classifiers(which), CLASSIFIERS));
  });
});
