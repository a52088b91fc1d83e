import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createModel, deterministicStateDict, useBackend, writeSafetensors } from '@convkit/core';
import '@convkit/backend-cpu';
import '@convkit/classifiers';
import { type ChromiumSession, type StaticServer, launchChromium, serveStatic } from '@convkit/browser-test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The built demo (dist/, from `vite build`) served as static files on 127.0.0.1 and driven in headless
 * Chromium the way a visitor uses it. Requests that leave 127.0.0.1 are refused and counted: the demo
 * must work offline. Screenshots go to apps/web/test-artifacts/ (ignored by git).
 */
const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
/** GoogLeNet at 224 px: a real ImageNet classifier that runs in seconds even on cpu. */
const CLASSIFIER = 'googlenet';
/** LeNet-5's weights fit in 250 kB, so the test writes and uploads a real file quickly. */
const SMALL = 'lenet5';

let server: StaticServer;
let session: ChromiumSession;
const offsite: string[] = [];

const shot = (name: string) => session.page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
const ready = () => session.page.waitForFunction(() => document.body.dataset.state === 'ready', undefined, { timeout: 180_000 });
const text = (selector: string) => session.page.locator(selector).innerText();

async function top5(): Promise<{ label: string; score: number }[]> {
  return session.page.$$eval('#result ol.top5 li', (items) => items.map((li) => ({
    label: li.querySelector('.label')!.textContent!,
    score: Number.parseFloat(li.querySelector('.score')!.textContent!),
  })));
}

async function runClassifier(): Promise<{ label: string; score: number }[]> {
  await session.page.click('#run-button');
  await ready();
  expect(await session.page.locator('#error').isHidden(), await text('#error').catch(() => '')).toBe(true);
  return top5();
}

beforeAll(async () => {
  if (!existsSync(join(dist, 'index.html'))) {
    throw new Error(`${dist} has no build: run \`pnpm --filter @convkit/web build\` first (turbo does, before \`test\`)`);
  }
  mkdirSync(artifacts, { recursive: true });
  server = await serveStatic({ '/': dist });
  session = await launchChromium({ width: 1280, height: 1000 });
  await session.context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
    offsite.push(url.href);
    return route.abort();
  });
  await session.page.goto(`${server.url}/`);
  await ready();
});

afterAll(async () => {
  await session?.close();
  await server?.close();
});

describe('the web demo', () => {
  it('starts on the best backend with the sample image and the classifiers listed', async () => {
    expect(await session.page.locator('#backend').inputValue()).toBe('webgl');
    expect(await text('#backend-status')).toMatch(/^Running on webgl: WebGL 2 on the GPU, float32/);
    expect(await session.page.$$eval('#backend option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['webgl', 'wasm', 'cpu']);
    expect(await session.page.$$eval('#task option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toContain('classification');
    expect(await session.page.$$eval('#model option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toContain(CLASSIFIER);
    expect(await text('#image-name')).toMatch(/Chelsea the cat \(sample\), \d+x\d+/);
    expect(await session.page.locator('#random-weights').isVisible()).toBe(true);
  });

  it.each(['webgl', 'wasm', 'cpu'])(`classifies the sample image with ${CLASSIFIER} on %s, with the time taken`, async (backend) => {
    await session.page.selectOption('#model', CLASSIFIER);
    await ready();
    await session.page.selectOption('#backend', backend);
    await ready();
    expect(await text('#backend-status')).toMatch(new RegExp(`^Running on ${backend}: `));
    const predictions = await runClassifier();
    expect(predictions).toHaveLength(5);
    for (const p of predictions) expect(p.label.length).toBeGreaterThan(0);
    const scores = predictions.map((p) => p.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(scores.every((s) => s > 0 && s <= 100)).toBe(true);
    expect(await text('#timing')).toMatch(new RegExp(`^${CLASSIFIER} on ${backend}: \\d+ ms for one 224x224 image`));
    await shot(`classification-${backend}`);
  });

  it('shows the layer table with totals next to the published figures', async () => {
    await session.page.selectOption('#explore-model', CLASSIFIER);
    await session.page.waitForFunction(() => document.querySelector('#summary tfoot #published') !== null, undefined, { timeout: 120_000 });
    const rows = await session.page.locator('#summary tbody tr').count();
    expect(rows).toBeGreaterThan(50);
    // Layer types are class names, which a minifying build must keep.
    const types = new Set(await session.page.$$eval('#summary tbody tr td:nth-child(2)', (cells) => cells.map((c) => c.textContent)));
    expect([...types]).toEqual(expect.arrayContaining(['Conv2d', 'BatchNorm2d', 'MaxPool2d', 'Linear']));
    expect(await text('#explore-totals')).toMatch(/^[\d,]+ parameters \(published: 13,004,888\), [\d.]+ G multiply-accumulates/);
    expect(await text('#summary tfoot')).toMatch(/Total: \d+ layers\s+[\d,]+\s+[\d.]+ G/);
    expect(await text('#summary tfoot #published')).toMatch(/Published .*13,004,888/);
    await shot('explorer');
  });

  describe('weights from a file', () => {
    let folder: string;
    let random: { label: string; score: number }[];

    beforeAll(async () => {
      folder = mkdtempSync(join(tmpdir(), 'convkit-web-'));
      await useBackend('cpu');
      const model = createModel(SMALL);
      writeFileSync(join(folder, `${SMALL}.safetensors`), writeSafetensors(deterministicStateDict(model, 7)));
      model.dispose();
      const corrupt = new Uint8Array(64);
      new DataView(corrupt.buffer).setBigUint64(0, 5000n, true);
      writeFileSync(join(folder, 'corrupt.safetensors'), corrupt);
      writeFileSync(join(folder, 'wrong-model.safetensors'), writeSafetensors(new Map([['fc.weight', { dtype: 'float32', shape: [2, 2], data: new Float32Array(4) }]])));
      await session.page.selectOption('#model', SMALL);
      await ready();
      random = await runClassifier();
    });

    afterAll(() => rmSync(folder, { recursive: true, force: true }));

    it('rejects a corrupt file with the WeightsFormatError message', async () => {
      await session.page.setInputFiles('#weights-file', join(folder, 'corrupt.safetensors'));
      await ready();
      expect(await text('#error')).toBe('WeightsFormatError: safetensors header length 5000 overruns the 64-byte file');
      expect(await session.page.locator('#random-weights').isVisible()).toBe(true);
      await shot('weights-error');
    });

    it('rejects weights of another model with the StateDictError message', async () => {
      await session.page.setInputFiles('#weights-file', join(folder, 'wrong-model.safetensors'));
      await ready();
      expect(await text('#error')).toMatch(/^StateDictError: .*fc\.weight/s);
    });

    it('loads a valid file, says so, and the output changes', async () => {
      await session.page.setInputFiles('#weights-file', join(folder, `${SMALL}.safetensors`));
      await ready();
      expect(await session.page.locator('#error').isHidden()).toBe(true);
      expect(await text('#weights-status')).toBe(`Weights: ${SMALL}.safetensors, 10 tensors`);
      expect(await session.page.locator('#random-weights').isHidden()).toBe(true);
      const loaded = await runClassifier();
      expect(loaded).toHaveLength(5);
      expect(loaded).not.toEqual(random);
    });
  });

  it('fits a narrow window without sideways scrolling', async () => {
    await session.page.setViewportSize({ width: 390, height: 844 });
    const overflow = await session.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('narrow');
  });

  it('asked for nothing beyond 127.0.0.1', () => {
    expect(offsite).toEqual([]);
  });
});
