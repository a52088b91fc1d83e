import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, listModels, useBackend } from '@convkit/core';
import '@convkit/backend-cpu';
import '@convkit/backend-webgpu';
import '@convkit/classifiers';
import { type ParityMeasurement, closeness, loadLayerFixtures, runLayerParity } from '@convkit/test-utils/layer-parity';
import { type Measurement, patternInput } from '../../../backend-webgl/test/page/compare.js';
import { runClassifiers } from './classifiers.js';

interface AdapterInfo { vendor?: string; architecture?: string; description?: string }

/** What the Node side (test/browser.test.ts) calls through page.evaluate. */
const suite = {
  /** The backends with their reasons; when webgpu starts, the adapter tfjs got. */
  async environment() {
    const backends = await availableBackends();
    if (!backends.find((b) => b.name === 'webgpu')?.available) return { backends, classifiers: [] };
    await useBackend('webgpu');
    const info = (tf.backend() as unknown as { adapterInfo?: AdapterInfo }).adapterInfo ?? {};
    await useBackend('cpu');
    const adapter = { vendor: info.vendor, architecture: info.architecture, description: info.description };
    return { backends, adapter, classifiers: listModels({ task: 'classification' }).map((m) => m.name) };
  },
  /** core's PyTorch layer fixtures on `backend`, through the one parity harness of @convkit/test-utils. */
  async layers(backend: string): Promise<ParityMeasurement[]> {
    await useBackend(backend);
    const fixtures = await loadLayerFixtures(fetchFixture);
    return runLayerParity(backend, fixtures);
  },
  async classifiers(which: string) {
    return runClassifiers(which);
  },
  /** tf.pad at ranks 4 to 6 (kernels/PadV2.ts takes over above 4), webgpu against cpu. */
  async pad(): Promise<Measurement[]> {
    const cases: [number[], [number, number][]][] = [
      [[2, 3, 4, 5], [[0, 1], [2, 0], [1, 1], [0, 3]]],
      [[2, 3, 2, 3, 2], [[1, 0], [0, 0], [2, 1], [0, 0], [1, 2]]],
      [[1, 2, 3, 2, 3, 4], [[0, 0], [1, 1], [0, 2], [3, 0], [0, 0], [1, 1]]],
      [[1, 2, 1, 2, 1, 2], [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0]]],
    ];
    const out: Measurement[] = [];
    for (const [shape, paddings] of cases) {
      const m: Measurement = { backend: 'webgpu', suite: 'pad', name: `rank ${shape.length} ${JSON.stringify(paddings)}`, quantity: 'vs cpu' };
      const values = patternInput(shape.reduce((a, b) => a * b));
      const run = async (backend: string) => {
        await useBackend(backend);
        const y = tf.tidy(() => tf.pad(tf.tensor(values, shape), paddings, 0.5));
        const data = await y.data();
        y.dispose();
        return data;
      };
      try {
        m.relativeError = closeness(await run('webgpu'), await run('cpu')).maxRelativeError;
      } catch (error) {
        m.error = String((error as Error).stack ?? error);
      }
      out.push(m);
    }
    await useBackend('cpu');
    return out;
  },
};

/** A file of the fixture folder test/browser.test.ts serves at /fixtures/. */
async function fetchFixture(file: string): Promise<Uint8Array> {
  const response = await fetch(`/fixtures/${file}`);
  if (!response.ok) throw new Error(`fixture ${file}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

declare global {
  interface Window {
    convkitSuite: typeof suite;
  }
}
window.convkitSuite = suite;
document.querySelector('#status')!.textContent = 'ready';

