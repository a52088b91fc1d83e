import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, deterministicStateDict, readSafetensors, useBackend, writeSafetensors } from '@convkit/core';
import '@convkit/backend-cpu';
import '@convkit/classifiers';
import '@convkit/detection';
import { argmaxClassMap } from '@convkit/segmentation';
import { type ChromiumSession, type StaticServer, launchChromium, serveStatic } from '@convkit/browser-test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The built demo (dist/, from `vite build`) served as static files on 127.0.0.1 with COOP/COEP, as
 * docs/web.md tells hosts to, and driven in headless Chromium the way a visitor uses it. Requests that
 * leave 127.0.0.1 are refused and counted. The last tests stop the server and reload: the service worker
 * must serve the whole demo. Screenshots go to apps/web/test-artifacts/ (ignored by git).
 */
const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
/** The samples and their ground truth, as tools/weights/make-demo-weights.mjs wrote them; the build bundles the same files. */
const images = fileURLToPath(new URL('../../../assets/images/', import.meta.url));
const weights = fileURLToPath(new URL('../../../assets/weights/', import.meta.url));
/** GoogLeNet at 224 px: a real ImageNet classifier that runs in seconds even on cpu. */
const CLASSIFIER = 'googlenet';
/** LeNet-5's weights fit in 250 kB, so the test writes and uploads a real file quickly; the demo bundles trained ones. */
const SMALL = 'lenet5';
const BACKENDS = ['webgl', 'wasm', 'cpu'];
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
/**
 * The longest the page's thread may go without painting a frame while a cpu or wasm run works in the
 * worker. On a machine so loaded that the page misses frames even at rest (CI's 2 cores are shared), the
 * bound is twice the longest gap measured at rest just before: a run that blocked the page would still
 * fail by seconds.
 */
const MAX_FRAME_GAP_MS = 100;

let server: StaticServer;
let session: ChromiumSession;
const offsite: string[] = [];

const shot = (name: string) => session.page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
const ready = () => session.page.waitForFunction(() => document.body.dataset.state === 'ready', undefined, { timeout: 180_000 });
const text = (selector: string) => session.page.locator(selector).innerText();
/** The longest gap between animation frames on the page's thread since the last call (see the init script in beforeAll). */
const frameGap = () => session.page.evaluate(() => {
  const gaps = (window as unknown as { convkitFrames: { max: number } }).convkitFrames;
  const max = gaps.max;
  gaps.max = 0;
  return max;
});
/** The longest frame gap the page shows at rest over `ms`, so that a loaded machine is not taken for a blocked page. */
async function frameGapAtRest(ms = 1000): Promise<number> {
  await frameGap();
  await session.page.waitForTimeout(ms);
  return frameGap();
}

/** The unrounded probabilities of the top 5, in order. */
const probabilities = () => session.page.$$eval('#result ol.top5 li', (items) => items.map((li) => Number((li as HTMLElement).dataset.probability)));

async function top5(): Promise<{ label: string; score: number }[]> {
  return session.page.$$eval('#result ol.top5 li', (items) => items.map((li) => ({
    label: li.querySelector('.label')!.textContent!,
    score: Number.parseFloat(li.querySelector('.score')!.textContent!),
  })));
}

async function runModel(): Promise<void> {
  await session.page.click('#run-button');
  await ready();
  expect(await session.page.locator('#error').isHidden(), await text('#error').catch(() => '')).toBe(true);
}

async function runClassifier(): Promise<{ label: string; score: number }[]> {
  await runModel();
  return top5();
}

async function select(control: '#task' | '#model' | '#backend' | '#threads' | '#sample', value: string): Promise<void> {
  await session.page.selectOption(control, value);
  await ready();
  expect(await session.page.locator('#error').isHidden(), await text('#error').catch(() => '')).toBe(true);
}

beforeAll(async () => {
  if (!existsSync(join(dist, 'index.html'))) {
    throw new Error(`${dist} has no build: run \`pnpm --filter @convkit/web build\` first (turbo does, before \`test\`)`);
  }
  mkdirSync(artifacts, { recursive: true });
  server = await serveStatic({ '/': dist }, {}, { headers: ISOLATION });
  session = await launchChromium({ width: 1280, height: 1000 });
  // A requestAnimationFrame logger in every page the test opens: the longest gap between frames.
  await session.context.addInitScript(() => {
    const frames = { max: 0 };
    (window as unknown as { convkitFrames: typeof frames }).convkitFrames = frames;
    let last = performance.now();
    const tick = (now: number) => {
      frames.max = Math.max(frames.max, now - last);
      last = now;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
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
  it('starts on the best backend with LeNet-5, its bundled weights and a held-out digit, every task listed', async () => {
    expect(await session.page.locator('#backend').inputValue()).toBe('webgl');
    expect(await text('#backend-status')).toMatch(/^Running on webgl: WebGL 2 on the GPU \(OffscreenCanvas in the worker\), float32\. In a worker; the page is cross-origin isolated\./);
    expect(await session.page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await session.page.$$eval('#backend option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(BACKENDS);
    expect(await session.page.$$eval('#task option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['classification', 'segmentation', 'detection']);
    expect(await session.page.$$eval('#model option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toContain(CLASSIFIER);
    expect(await session.page.locator('#model').inputValue()).toBe(SMALL);
    expect(await text('#image-name')).toBe('Sample: Digit 7 (held-out test digit, 32x32), 32x32');
    expect(await session.page.locator('#random-weights').isHidden()).toBe(true);
    expect(await text('#weights-status')).toMatch(/^Weights: lenet5-digits\.safetensors, bundled with the demo: .*test accuracy 0\.\d+ \(from the file's metadata\)/);
    expect(await text('#fusion')).toBe('lenet5: inference folding: 0 of 0 BatchNorms folded into convolutions, 4 of 4 ReLUs fused (fuseForInference, after the weights loaded).');
    const predictions = await runClassifier();
    expect(predictions[0]!.label).toBe('7');
    expect(await text('#result .truth')).toBe('The sample is 7: the top class is right.');
    await shot('classification-lenet5');
  });

  it.each(BACKENDS)(`classifies the sample photo with ${CLASSIFIER} on %s, with the time taken`, async (backend) => {
    await select('#model', CLASSIFIER);
    expect(await text('#image-name')).toMatch(/^Sample: Chelsea the cat \(photo\), \d+x\d+$/);
    expect(await session.page.locator('#random-weights').isVisible()).toBe(true);
    await select('#backend', backend);
    expect(await text('#backend-status')).toMatch(new RegExp(`^Running on ${backend}: `));
    const rest = await frameGapAtRest();
    await session.page.click('#run-button');
    // While the worker runs, the controls say so: nothing can be changed under it.
    expect(await session.page.locator('#backend').isDisabled()).toBe(true);
    expect(await session.page.locator('#cancel-button').isVisible()).toBe(true);
    await ready();
    const gap = await frameGap();
    console.log(`${CLASSIFIER} on ${backend}: longest main-thread gap ${gap.toFixed(0)} ms during the run, ${rest.toFixed(0)} ms at rest before it`);
    if (backend !== 'webgl') expect(gap, `longest gap between animation frames during the run (${rest.toFixed(0)} ms at rest)`).toBeLessThan(Math.max(MAX_FRAME_GAP_MS, 2 * rest));
    expect(await session.page.locator('#error').isHidden(), await text('#error').catch(() => '')).toBe(true);
    const predictions = await top5();
    expect(predictions).toHaveLength(5);
    for (const p of predictions) expect(p.label.length).toBeGreaterThan(0);
    const scores = predictions.map((p) => p.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(scores.every((s) => s > 0 && s <= 100)).toBe(true);
    expect(await text('#timing')).toMatch(new RegExp(`^${CLASSIFIER} on ${backend}: \\d+ ms for one 224x224 image, in the worker`));
    await shot(`classification-${backend}`);
  });

  it('cancels a run by replacing the worker, and says so; the backend stays', async () => {
    expect(await session.page.locator('#backend').inputValue()).toBe('cpu');
    await session.page.click('#run-button');
    await session.page.waitForFunction(() => document.body.dataset.state === 'busy');
    await session.page.waitForTimeout(300);
    await session.page.click('#cancel-button');
    await ready();
    expect(await text('#error')).toBe('Cancelled: the worker was stopped (Running googlenet on cpu in the worker…) and a new one started');
    expect(await session.page.locator('#backend').inputValue()).toBe('cpu');
    expect(await text('#backend-status')).toMatch(/^Running on cpu: /);
    expect(await text('#weights-status')).toBe('Weights: googlenet is not built yet; it is built in the worker when you run it');
    expect(await session.page.locator('#result ol.top5').count()).toBe(0);
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
    // The Total counts the aux heads, which eval never calls: the note says what the rows leave out.
    const params = await session.page.$$eval('#summary tbody tr td:nth-child(4)', (cells) => cells.map((c) => Number(c.textContent!.replace(/,/g, ''))));
    expect(params.reduce((a, b) => a + b, 0)).toBe(6_624_904);
    expect(await text('#explore-uncounted')).toBe('The rows add up to 6,624,904 parameters, the Total to 13,004,888: 6,379,984 are held by ' +
      'aux1 (3,188,968), aux2 (3,191,016), which the forward pass in eval mode never calls (auxiliary heads, used in training only), so they have no row.');
    await shot('explorer');
  });

  describe('wasm threads', () => {
    let folder: string;

    beforeAll(async () => {
      folder = mkdtempSync(join(tmpdir(), 'convkit-web-threads-'));
      await useBackend('cpu');
      const model = createModel(CLASSIFIER);
      writeFileSync(join(folder, `${CLASSIFIER}.safetensors`), writeSafetensors(deterministicStateDict(model, 11)));
      model.dispose();
    });

    afterAll(() => rmSync(folder, { recursive: true, force: true }));

    it('runs threaded where the page is cross-origin isolated, and the single-threaded binary gives the same output', async () => {
      expect(await session.page.locator('#model').inputValue()).toBe(CLASSIFIER);
      await select('#backend', 'wasm');
      // One thread per logical core, at most 8 (@convkit/backend-wasm's setWasmThreads); the count shown is
      // what tfjs's thread pool reports, so a pool clamped to 1 on a multi-core machine fails here.
      const cores = await session.page.evaluate(() => navigator.hardwareConcurrency);
      const threads = Math.min(8, cores);
      expect(await text('#backend-status')).toMatch(new RegExp(`^Running on wasm: WebAssembly with SIMD, ${threads} threads? \\(threaded binary; ${cores} logical cores?`));
      const shown = Number(await session.page.locator('#backend-status').getAttribute('data-threads'));
      expect(shown).toBe(threads);
      if (cores > 1) expect(shown).toBeGreaterThan(1);
      await session.page.setInputFiles('#weights-file', join(folder, `${CLASSIFIER}.safetensors`));
      await ready();
      const status = await text('#weights-status');
      const tensors = status.match(/^Weights: googlenet\.safetensors, (\d+) tensors$/);
      expect(tensors, `${status} ${await text('#error').catch(() => '')}`).not.toBeNull();
      await runModel();
      const threaded = await probabilities();

      await select('#threads', '1');
      expect(await text('#backend-status')).toMatch(/^Running on wasm: WebAssembly with SIMD, 1 thread \(asked for\)/);
      // A new worker: the model was built again and the file loaded again.
      expect(await text('#weights-status')).toBe(`Weights: googlenet.safetensors, ${tensors![1]} tensors`);
      await runModel();
      const single = await probabilities();
      console.log(`googlenet on wasm, ${threads} thread(s) threaded binary vs single-threaded binary: ${JSON.stringify(threaded)} vs ${JSON.stringify(single)}`);
      expect(single).toHaveLength(5);
      for (const [i, p] of single.entries()) expect(p).toBeCloseTo(threaded[i]!, 6);

      await select('#threads', '');
      expect(await session.page.locator('#backend-status').getAttribute('data-threads')).toBe(String(threads));
    });
  });

  /** Presses Tab from the top of the page until `id` has the focus; the ids focused on the way, `id` last. */
  async function tabUntil(id: string): Promise<string[]> {
    await ready();
    await session.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const seen: string[] = [];
    for (let i = 0; i < 40 && seen.at(-1) !== id; i++) {
      await session.page.keyboard.press('Tab');
      seen.push(await session.page.evaluate(() => document.activeElement?.id ?? ''));
    }
    expect(seen.at(-1), `Tab reached ${seen.join(', ')}`).toBe(id);
    return seen;
  }

  /**
   * Enter on the focused button, and `path` given to the file chooser it opens. Headless Chromium under
   * load has let the first press pass without a chooser (seen twice in 26 runs of a test): up to 3 presses.
   */
  async function chooseWithEnter(path: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const chooser = session.page.waitForEvent('filechooser', { timeout: 10_000 });
      await session.page.keyboard.press('Enter');
      try {
        await (await chooser).setFiles(path);
        return;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  }

  it('picks an image from the keyboard', async () => {
    await tabUntil('image-button');
    await chooseWithEnter(join(images, 'digit-3.png'));
    await ready();
    expect(await text('#image-name')).toBe('digit-3.png, 32x32');
    // Back to the samples, which the tests below expect each model to open on.
    await select('#sample', 'chelsea');
  });

  describe('weights from a file', () => {
    let folder: string;
    let bundled: { label: string; score: number }[];

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
      await select('#model', SMALL);
      bundled = await runClassifier();
    });

    afterAll(() => rmSync(folder, { recursive: true, force: true }));

    it('rejects a corrupt file with the WeightsFormatError message', async () => {
      await session.page.setInputFiles('#weights-file', join(folder, 'corrupt.safetensors'));
      await ready();
      expect(await text('#error')).toBe('WeightsFormatError: safetensors header length 5000 overruns the 64-byte file');
      expect(await text('#weights-status')).toMatch(/^Weights: lenet5-digits\.safetensors, bundled with the demo/);
      await shot('weights-error');
    });

    it('rejects weights of another model with the StateDictError message', async () => {
      await session.page.setInputFiles('#weights-file', join(folder, 'wrong-model.safetensors'));
      await ready();
      expect(await text('#error')).toMatch(/^StateDictError: .*fc\.weight/s);
    });

    it('loads a valid file picked from the keyboard, says so, and the output changes', async () => {
      const focused = await tabUntil('weights-button');
      expect(focused).toContain('image-button');
      await chooseWithEnter(join(folder, `${SMALL}.safetensors`));
      await ready();
      expect(await session.page.locator('#error').isHidden()).toBe(true);
      expect(await text('#weights-status')).toBe(`Weights: ${SMALL}.safetensors, 10 tensors`);
      expect(await session.page.locator('#random-weights').isHidden()).toBe(true);
      const loaded = await runClassifier();
      expect(loaded).toHaveLength(5);
      expect(loaded).not.toEqual(bundled);
    });
  });

  describe('segmentation and detection on the bundled samples', () => {
    /** VOC colours of the four shapes classes, as the mask canvas draws them. */
    const MASK_COLOURS = [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0]];
    /** The detection package's LABEL_COLOURS of the three shapes classes. */
    const BOX_COLOURS = [[255, 230, 0], [0, 255, 255], [255, 0, 255]];
    const base64 = (file: string) => readFileSync(join(images, file)).toString('base64');
    /** fcn_tiny's classes for the sample computed here in Node on cpu, from the scene as the page decodes it. */
    let reference: Int32Array;

    /**
     * In the page: the mask canvas read back as classes, the ground-truth label map and the scene decoded
     * from the bundled PNGs, and how the overlay canvas differs from the scene inside and outside the mask.
     */
    async function readSegmentation() {
      return session.page.evaluate(async ({ truthPng, scenePng, colours }) => {
        const decode = async (png: string) => {
          const blob = new Blob([Uint8Array.from(atob(png), (c) => c.charCodeAt(0))], { type: 'image/png' });
          const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
          const context = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d')!;
          context.drawImage(bitmap, 0, 0);
          return context.getImageData(0, 0, bitmap.width, bitmap.height);
        };
        const read = (canvas: HTMLCanvasElement) => canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        const mask = read(document.querySelector<HTMLCanvasElement>('#result-mask')!);
        const overlay = read(document.querySelector<HTMLCanvasElement>('#result-overlay')!);
        const [truth, scene] = [await decode(truthPng), await decode(scenePng)];
        const pixels = mask.width * mask.height;
        const predicted = Array.from({ length: pixels }, (_, i) => colours.findIndex((c) => c.every((v, k) => mask.data[i * 4 + k] === v)));
        const target = Array.from({ length: pixels }, (_, i) => truth.data[i * 4]!);
        // The overlay enlarges the scene by a whole factor: compare each scene pixel with its block's centre.
        const scale = overlay.width / scene.width;
        let foreground = 0, tinted = 0, background = 0, untouched = 0;
        for (let i = 0; i < pixels; i++) {
          const [x, y] = [i % scene.width, Math.floor(i / scene.width)];
          const o = ((Math.floor((y + 0.5) * scale) * overlay.width) + Math.floor((x + 0.5) * scale)) * 4;
          const difference = Math.max(...[0, 1, 2].map((k) => Math.abs(overlay.data[o + k]! - scene.data[i * 4 + k]!)));
          if (predicted[i]! > 0) {
            foreground++;
            if (difference > 16) tinted++;
          } else {
            background++;
            if (difference <= 2) untouched++;
          }
        }
        const rgb = Array.from({ length: pixels * 3 }, (_, i) => scene.data[Math.floor(i / 3) * 4 + (i % 3)]!);
        return { width: mask.width, height: mask.height, truthSize: [truth.width, truth.height], predicted, target, rgb, foreground, tinted, background, untouched };
      }, { truthPng: base64('shapes-segmentation-mask.png'), scenePng: base64('shapes-segmentation.png'), colours: MASK_COLOURS });
    }

    /** fcn_tiny with the bundled weights on cpu in Node, on x - 0.5 as it was trained: [H * W] classes. */
    async function nodeClasses(rgb: number[], height: number, width: number): Promise<Int32Array> {
      await useBackend('cpu');
      const model = createModel('fcn_tiny');
      try {
        model.loadStateDict(readSafetensors(readFileSync(join(weights, 'fcn_tiny-shapes.safetensors'))).tensors);
        model.eval();
        const classes = tf.tidy(() => argmaxClassMap(model.call(tf.sub(tf.div(tf.tensor4d(rgb, [1, height, width, 3]), 255), 0.5)) as tf.Tensor));
        const data = (await classes.data()) as Int32Array;
        classes.dispose();
        return data;
      } finally {
        model.dispose();
      }
    }

    it.each(BACKENDS)('segments the shapes sample with fcn_tiny and its bundled weights on %s', async (backend) => {
      await select('#task', 'segmentation');
      expect(await session.page.locator('#model').inputValue()).toBe('fcn_tiny');
      expect(await text('#image-name')).toBe('Sample: Shapes scene for segmentation (held-out, 32x32), 32x32');
      expect(await text('#weights-status')).toMatch(/^Weights: fcn_tiny-shapes\.safetensors, bundled with the demo: .*test mean IoU 0\.\d+/);
      expect(await session.page.locator('#random-weights').isHidden()).toBe(true);
      await select('#backend', backend);
      await runModel();
      expect(await text('#timing')).toMatch(new RegExp(`^fcn_tiny on ${backend}: \\d+ ms for one 32x32 image`));
      const r = await readSegmentation();
      expect([r.width, r.height]).toEqual([32, 32]);
      expect(r.truthSize).toEqual([32, 32]);
      expect(r.predicted.every((c) => c >= 0), 'every mask pixel has a class colour').toBe(true);
      reference ??= await nodeClasses(r.rgb, r.height, r.width);
      const agreement = r.predicted.filter((c, i) => c === reference[i]).length / r.predicted.length;
      const accuracy = r.predicted.filter((c, i) => c === r.target[i]).length / r.predicted.length;
      console.log(`fcn_tiny on ${backend}: pixel accuracy ${accuracy.toFixed(4)}, agreement with Node ${agreement.toFixed(4)}, ` +
        `${r.foreground} foreground pixels (${r.tinted} tinted), ${r.background} background (${r.untouched} untouched)`);
      expect(agreement).toBeGreaterThanOrEqual(0.99);
      // Measured 0.872 on every backend: this held-out scene, two overlapping shapes, is harder than the test set's average (0.968).
      expect(accuracy).toBeGreaterThanOrEqual(0.85);
      expect(await text('#result .truth')).toMatch(new RegExp(`^Against the sample's ground truth: pixel accuracy ${(accuracy * 100).toFixed(1)}%, mean IoU 0\\.\\d{3}\\.$`));
      // The overlay shows the mask: tinted where a shape was found, the plain scene elsewhere.
      expect(r.foreground).toBeGreaterThan(0);
      expect(r.tinted / r.foreground).toBeGreaterThanOrEqual(0.95);
      expect(r.untouched / r.background).toBeGreaterThanOrEqual(0.95);
      const legend = await session.page.$$eval('#result ul.legend .label', (items) => items.map((i) => i.textContent));
      expect(legend).toContain('background');
      await shot(`segmentation-${backend}`);
    });

    it.each(BACKENDS)('detects the objects of the shapes sample with fasterrcnn_small and its bundled weights on %s', async (backend) => {
      await select('#task', 'detection');
      await select('#model', 'fasterrcnn_small');
      expect(await text('#image-name')).toBe('Sample: Shapes scene for detection (held-out, 64x64), 64x64');
      expect(await text('#weights-status')).toMatch(/^Weights: fasterrcnn_small-shapes\.safetensors, bundled with the demo: .*test mAP@0\.5 0\.\d+/);
      await select('#backend', backend);
      await runModel();
      expect(await text('#timing')).toMatch(new RegExp(`^fasterrcnn_small on ${backend}: \\d+ ms for one 64x64 image`));
      const truth = JSON.parse(readFileSync(join(images, 'shapes-detection.json'), 'utf8')) as { classes: string[]; objects: { box: number[]; label: number }[] };
      const detections = await session.page.$$eval('#result-detections tbody tr', (rows) => rows.map((row) => {
        const cells = Array.from(row.querySelectorAll('td'), (c) => c.textContent!);
        return { name: cells[1]!, score: Number(cells[2]), box: cells[3]!.split(', ').map(Number) };
      }));
      const iou = (a: number[], b: number[]) => {
        const w = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
        const h = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
        return (w * h) / ((a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - w * h);
      };
      console.log(`fasterrcnn_small on ${backend}: ${JSON.stringify(detections)}; truth ${JSON.stringify(truth.objects)}`);
      expect(truth.objects.length).toBeGreaterThan(0);
      for (const object of truth.objects) {
        const best = Math.max(0, ...detections.filter((d) => d.name === truth.classes[object.label]).map((d) => iou(d.box, object.box)));
        expect(best, `${truth.classes[object.label]} at [${object.box.join(', ')}]`).toBeGreaterThanOrEqual(0.5);
      }
      expect(await text('#result .truth')).toMatch(new RegExp(`^Against the sample's ground truth: ${truth.objects.length} of ${truth.objects.length} objects found`));
      // The best box is drawn in its class's colour: across the middle of its left and bottom edges (3 px
      // either side, as the stroke's pixel row depends on rounding), some pixel has that colour.
      const best = detections[0]!;
      const edges = await session.page.evaluate((box) => {
        const canvas = document.querySelector<HTMLCanvasElement>('#result-boxes')!;
        const scale = Number(canvas.dataset.scale);
        const [x1, y1, x2, y2] = box.map((v: number) => Math.round(v * scale)) as [number, number, number, number];
        const context = canvas.getContext('2d')!;
        const at = (x: number, y: number) => Array.from(context.getImageData(x, y, 1, 1).data.subarray(0, 3));
        const across = (x: number, y: number, dx: number, dy: number) => [-3, -2, -1, 0, 1, 2, 3].map((d) => at(x + d * dx, y + d * dy));
        return [across(x1, Math.round((y1 + y2) / 2), 1, 0), across(Math.round((x1 + x2) / 2), y2, 0, 1)];
      }, best.box);
      const colour = BOX_COLOURS[truth.classes.indexOf(best.name)]!;
      for (const line of edges) expect(line, `${best.name} box edge pixels ${JSON.stringify(line)}`).toContainEqual(colour);
      await shot(`detection-${backend}`);
    });
  });

  describe('full-size Faster R-CNN with weights from a file', () => {
    const DETECTOR = 'fasterrcnn_resnet50_fpn';
    let folder: string;
    let tensors: number;

    beforeAll(async () => {
      folder = mkdtempSync(join(tmpdir(), 'convkit-web-frcnn-'));
      await useBackend('cpu');
      const model = createModel(DETECTOR);
      const state = deterministicStateDict(model, 5);
      tensors = state.size;
      writeFileSync(join(folder, `${DETECTOR}.safetensors`), writeSafetensors(state));
      model.dispose();
    });

    afterAll(() => rmSync(folder, { recursive: true, force: true }));

    it('offers both, and loads 160 MB of weights in the worker with bytes shown, the page painting throughout', async () => {
      await select('#task', 'detection');
      const models = await session.page.$$eval('#model option', (os) => os.map((o) => (o as HTMLOptionElement).value));
      expect(models).toEqual(expect.arrayContaining([DETECTOR, 'fasterrcnn_vgg16']));
      await select('#model', DETECTOR);
      expect(await session.page.locator('#random-weights').isVisible()).toBe(true);
      const rest = await frameGapAtRest();
      await session.page.setInputFiles('#weights-file', join(folder, `${DETECTOR}.safetensors`));
      // Progress while the worker reads: bytes of the file's size.
      const size = (167_477_536 / 1048576).toFixed(1);
      const seen = new Set<string>();
      while ((await session.page.evaluate(() => document.body.dataset.state)) === 'busy') {
        const bytes = await session.page.locator('#weights-bytes').innerText();
        if (bytes) seen.add(bytes);
        await session.page.waitForTimeout(20);
      }
      await ready();
      const gap = await frameGap();
      console.log(`${DETECTOR}: ${seen.size} progress texts while loading, e.g. ${[...seen].slice(0, 3).join(' | ')}; longest main-thread gap ${gap.toFixed(0)} ms, ${rest.toFixed(0)} ms at rest before`);
      expect(await session.page.locator('#error').isHidden(), await text('#error').catch(() => '')).toBe(true);
      expect([...seen].some((t) => new RegExp(`^Reading ${DETECTOR}\\.safetensors: [\\d.]+ MB of ${size.replace('.', '\\.')} MB$`).test(t)), [...seen].join(' | ')).toBe(true);
      expect(gap).toBeLessThan(Math.max(MAX_FRAME_GAP_MS, 2 * rest));
      expect(await text('#weights-status')).toBe(`Weights: ${DETECTOR}.safetensors, ${tensors} tensors`);
      expect(await session.page.locator('#random-weights').isHidden()).toBe(true);
      expect(await session.page.locator('#weights-progress').isHidden()).toBe(true);
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

  describe('with the network cut', () => {
    beforeAll(async () => {
      await session.page.setViewportSize({ width: 1280, height: 1000 });
      // The service worker has cached the build when it is active (install waits for every file).
      const cached = await session.page.evaluate(async () => {
        const registration = await navigator.serviceWorker.ready;
        const names = await caches.keys();
        const cache = await caches.open(names.find((n) => n.startsWith('convkit-web-'))!);
        return { active: registration.active?.state, files: (await cache.keys()).map((r) => new URL(r.url).pathname) };
      });
      expect(cached.active).toBe('activated');
      expect(cached.files.some((f) => /tfjs-backend-wasm-threaded-simd-.*\.wasm$/.test(f))).toBe(true);
      expect(cached.files.some((f) => /lenet5-digits-.*\.safetensors$/.test(f))).toBe(true);
      await server.close();
      await session.context.setOffline(true);
      await session.page.reload();
      await ready();
    });

    it('reloads and runs from the service worker, still cross-origin isolated', async () => {
      expect(await session.page.locator('#error').isHidden(), await text('#error').catch(() => '')).toBe(true);
      expect(await session.page.evaluate(() => crossOriginIsolated)).toBe(true);
      expect(await session.page.locator('#model').inputValue()).toBe(SMALL);
      expect(await text('#weights-status')).toMatch(/^Weights: lenet5-digits\.safetensors, bundled with the demo/);
      const predictions = await runClassifier();
      expect(predictions[0]!.label).toBe('7');
      await shot('offline');
    });

    it('names the weights that failed to load, and does not run the model on random weights', async () => {
      await session.page.evaluate(async () => {
        const cache = await caches.open((await caches.keys()).find((n) => n.startsWith('convkit-web-'))!);
        for (const request of await cache.keys()) if (request.url.includes('fcn_tiny-shapes')) await cache.delete(request);
      });
      await session.page.selectOption('#task', 'segmentation');
      await ready();
      expect(await text('#error')).toMatch(/^cannot fetch the bundled weights fcn_tiny-shapes\.safetensors \(.*\): Failed to fetch\. The network is cut/);
      expect(await text('#weights-status')).toMatch(/^Weights: none loaded, so fcn_tiny will not run: cannot fetch the bundled weights fcn_tiny-shapes\.safetensors/);
      expect(await session.page.locator('#random-weights').isHidden()).toBe(true);
      await session.page.click('#run-button');
      await ready();
      expect(await text('#error')).toMatch(/^cannot fetch the bundled weights fcn_tiny-shapes\.safetensors/);
      expect(await session.page.locator('#result-mask').count()).toBe(0);
    });

    it('falls back to the running backend when another fails to start, and says which and why', async () => {
      await session.page.evaluate(async () => {
        const cache = await caches.open((await caches.keys()).find((n) => n.startsWith('convkit-web-'))!);
        for (const request of await cache.keys()) if (request.url.endsWith('.wasm')) await cache.delete(request);
      });
      await session.page.selectOption('#backend', 'wasm');
      await ready();
      expect(await text('#error')).toMatch(/^wasm failed to start, so the demo stays on webgl: /);
      expect(await session.page.locator('#backend').inputValue()).toBe('webgl');
      expect(await text('#backend-status')).toMatch(/^Running on webgl: /);
      expect(await session.page.locator('#backend option[value=wasm]').innerText()).toBe('wasm (failed to start)');
      await shot('offline-failures');
    });
  });
});
