import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, listModels, useBackend } from '@convkit/core';
import { type LayerFixtures, loadLayerFixtures, runLayerParity } from '@convkit/test-utils/layer-parity';
import '@convkit/backend-cpu';
import '@convkit/backend-webgl';
import '@convkit/classifiers';
import { type Measurement } from './compare.js';
import { runClassifiers } from './classifiers.js';
import { runPitfalls } from './pitfalls.js';

/** What the Node side (test/browser.test.ts) calls through page.evaluate. */
const suite = {
  async environment() {
    const backends = await availableBackends();
    await useBackend('webgl');
    const gl = (tf.backend() as unknown as { gpgpu: { gl: WebGL2RenderingContext } }).gpgpu.gl;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const environment = {
      backends,
      renderer: String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER)),
      webglVersion: tf.env().getNumber('WEBGL_VERSION'),
      float32Textures: tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED'),
      packed: tf.env().getBool('WEBGL_PACK'),
      classifiers: listModels({ task: 'classification' }).map((m) => m.name),
    };
    await useBackend('cpu');
    return environment;
  },
  async layers(backend: string) {
    await useBackend(backend);
    const measurements = await runLayerParity(backend, await fixtures());
    return show(`layer fixtures on ${backend}`, measurements.map((m): Measurement => ({
      backend, suite: 'layers', name: m.name, quantity: m.quantity, relativeError: m.relativeError,
      error: m.error ?? (m.skipped === undefined ? undefined : `skipped: ${m.skipped}`),
    })));
  },
  async classifiers(which: string) {
    return show(`classifiers (${which}), webgl vs cpu`, await runClassifiers(which));
  },
  async pitfalls() {
    return show('webgl pitfalls vs cpu', await runPitfalls());
  },
};

let cached: Promise<LayerFixtures> | undefined;
/** core's layer fixtures, fetched once from the folder test/browser.test.ts serves. */
function fixtures(): Promise<LayerFixtures> {
  cached ??= loadLayerFixtures(async (file) => {
    const response = await fetch(`/fixtures/${file}`);
    if (!response.ok) throw new Error(`fixture ${file}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  });
  return cached;
}

declare global {
  interface Window {
    convkitSuite: typeof suite;
  }
}
window.convkitSuite = suite;
document.querySelector('#status')!.textContent = 'ready';

/** Appends a table of the suite's measurements, worst first, for the screenshot the test keeps. */
function show(title: string, measurements: Measurement[]): Measurement[] {
  const section = document.createElement('section');
  const heading = document.createElement('h2');
  const failed = measurements.filter((m) => m.error).length;
  heading.textContent = `${title}: ${measurements.length} measured${failed ? `, ${failed} failed` : ''}`;
  const table = document.createElement('table');
  const worst = [...measurements].sort((a, b) => Number(!!b.error) - Number(!!a.error) || (b.relativeError ?? 0) - (a.relativeError ?? 0));
  for (const m of worst.slice(0, 8)) {
    const row = table.insertRow();
    const value = m.error ? m.error.split('\n')[0]! : (m.relativeError?.toExponential(2) ?? `${m.ticks} timers`);
    for (const text of [m.name, m.quantity, value, m.ms === undefined ? '' : `${m.ms.toFixed(0)} ms`]) {
      row.insertCell().textContent = text;
    }
    if (m.error) row.className = 'failed';
  }
  section.append(heading, table);
  document.body.append(section);
  return measurements;
}
