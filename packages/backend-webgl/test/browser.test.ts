import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChromiumSession, type StaticServer, launchChromium, serveStatic } from '@convkit/browser-test';
import { LAYER_TOLERANCE } from '@convkit/test-utils/layer-parity';
import type { Measurement } from './page/compare.js';

/**
 * The layer fixtures (through @convkit/test-utils/layer-parity, the harness every backend runs) and the
 * registered classifiers inside headless Chromium (Debian's package, WebGL 2 in software by
 * SwiftShader), on webgl and on cpu in the same page. The page is test/page/,
 * bundled here with esbuild and served from memory on 127.0.0.1 with the fixture folder of
 * packages/core (read-only).
 *
 * Tolerances are relative: max |a - b| / max |b| over each tensor. Measured in Chromium 156 (Debian),
 * WebGL 2 on SwiftShader, float32 textures:
 * - layer fixtures against PyTorch: cpu 2.0e-7 outputs, 1.7e-6 gradients (as in Node); webgl 2.7e-7 outputs,
 *   1.0e-6 gradients. Both held to LAYER_TOLERANCE (1e-5), the Node suite's; a GPU whose exp and pow
 *   are coarser than SwiftShader's (GLSL allows it) may need more, and the failure names the case;
 * - whole classifiers, webgl against cpu, all 26 registered: 1.8e-7 (cifar_resnet44) to 3.8e-6 (vgg19_bn);
 *   held to 1e-4 (docs/web.md has the table);
 * - single modules (transposed convolutions, odd-sized stacks): 3.0e-7, held to 1e-5; pad at rank 6 is exact.
 */
const TOLERANCE: Record<string, number> = {
  'cpu layers': LAYER_TOLERANCE,
  'webgl layers': LAYER_TOLERANCE,
  'webgl classifiers': 1e-4,
  'webgl conv transpose': 1e-5,
  'webgl odd sizes': 1e-4,
  'webgl pad': 0,
};

/**
 * 'families' (default): the smallest classifier of each family; 'all': every registered one (tens of seconds
 * per VGG in SwiftShader: uploading 130M parameters); or a comma-separated list of names.
 */
const CLASSIFIERS = process.env.CONVKIT_BROWSER_CLASSIFIERS ?? 'families';

const page = new URL('./page/', import.meta.url);
const fixtures = fileURLToPath(new URL('../../core/src/layers/fixtures/', import.meta.url));
const artifacts = new URL('../test-artifacts/', import.meta.url);

/** The page's `window.convkitSuite` (test/page/main.ts); page.evaluate sends each callback's source, so each names it itself. */
interface Suite {
  environment(): Promise<unknown>;
  layers(backend: string): Promise<Measurement[]>;
  classifiers(which: string): Promise<Measurement[]>;
  pitfalls(): Promise<Measurement[]>;
}
type WithSuite = { convkitSuite: Suite };

let server: StaticServer | undefined;
let session: ChromiumSession | undefined;

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
  session = await launchChromium({ width: 1100, height: 900, echo: !!process.env.CONVKIT_BROWSER_LOG });
  await session.page.goto(`${server.url}/`);
  await session.page.waitForFunction(() => document.querySelector('#status')?.textContent === 'ready', undefined, { timeout: 30_000 });
}, 120_000);

afterAll(async () => {
  if (session) {
    mkdirSync(artifacts, { recursive: true });
    await session.page.screenshot({ path: fileURLToPath(new URL('browser-suite.png', artifacts)), fullPage: true });
    await session.close();
  }
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

describe('in Chromium', () => {
  it('has WebGL 2 with float32 textures, and the webgl plugin is the best available backend', async () => {
    const env = (await session!.page.evaluate(() => (window as unknown as WithSuite).convkitSuite.environment())) as {
      backends: { name: string; available: boolean; reason?: string }[]; renderer: string; webglVersion: number; float32Textures: boolean; classifiers: string[];
    };
    console.log(`WebGL ${env.webglVersion} on ${env.renderer}; float32 textures: ${env.float32Textures}; classifiers: ${env.classifiers.join(', ')}`);
    expect(env.backends.map((b) => [b.name, b.available, b.reason])).toEqual([['webgl', true, undefined], ['cpu', true, undefined]]);
    expect(env.webglVersion).toBe(2);
    expect(env.float32Textures).toBe(true);
    expect(env.classifiers.length, 'classifiers registered in the page').toBeGreaterThan(0);
  });

  it.each(['cpu', 'webgl'])('layer fixtures on %s match PyTorch', async (backend) => {
    expectWithinTolerance(await session!.page.evaluate((b) => (window as unknown as WithSuite).convkitSuite.layers(b), backend));
  });

  it(`classifiers (${CLASSIFIERS}) give the same logits on webgl as on cpu`, { timeout: CLASSIFIERS === 'families' ? 900_000 : 3_600_000 }, async () => {
    expectWithinTolerance(await session!.page.evaluate((which) => (window as unknown as WithSuite).convkitSuite.classifiers(which), CLASSIFIERS));
  });

  it('webgl pitfalls: transposed convolutions, odd sizes, reading back without blocking', async () => {
    const measurements = await session!.page.evaluate(() => (window as unknown as WithSuite).convkitSuite.pitfalls());
    const [readback] = measurements.filter((m) => m.suite === 'async readback');
    console.log(`async readback: ${readback?.ticks} ${readback?.quantity}`);
    expectWithinTolerance(measurements.filter((m) => m !== readback));
    expect(readback?.error).toBeUndefined();
  });
});
