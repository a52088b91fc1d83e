import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { type Module, createModel, deterministicStateDict, getModelEntry, readNpy, toFloat32Array, torchShape } from '@convkit/core';
import { closeness, nchwToNhwc, testBackends, useBackend } from '@convkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../index.js';
import { type FCNOutputs, FCNResNet } from './fcn-resnet.js';

/**
 * fcn_resnet50 against torchvision 0.14 (tools/fixtures/make_segmentation_fixtures.py): names, order and
 * shapes of the state dict, the published parameter count, and with the same deterministic weights both
 * outputs ('out' and 'aux') to 1e-4 of the largest logit at 64x64. Parity runs on wasm (on cpu the dilated
 * ResNet-50 takes tens of seconds); every backend runs the size checks.
 */
const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);
const npy = (name: string) => readNpy(new Uint8Array(readFileSync(fixture(`${name}.npy`))));
const manifest = JSON.parse(readFileSync(fixture('manifest.json'), 'utf8')) as {
  fcn_resnet50: { params: number; paramsWithoutAux: number; stateDictKeys: string[]; stateDictShapes: number[][] };
};

/** [key, PyTorch shape] per state-dict entry in PyTorch's order (each module's parameters, buffers, then children), without reading values back. */
function stateDictListing(model: Module<any, any>): [string, number[]][] {
  const out: [string, number[]][] = [];
  const layouts = new Map(model.namedParameterLayouts());
  for (const [prefix, m] of model.namedModules()) {
    const key = (n: string) => (prefix ? `${prefix}.${n}` : n);
    for (const [n, v] of m.namedParameters()) if (!n.includes('.')) out.push([key(n), torchShape(v.shape, layouts.get(key(n)) ?? 'plain')]);
    for (const [n, v] of m.namedBuffers()) if (!n.includes('.')) out.push([key(n), v.shape.slice()]);
  }
  return out;
}

describe('fcn_resnet50', () => {
  let model: FCNResNet;
  beforeAll(async () => {
    await useBackend('wasm');
    model = createModel('fcn_resnet50', { initWeights: false }) as FCNResNet;
  });
  afterAll(() => model.dispose());

  it('has torchvision parameter count, names, order and shapes', async () => {
    expect(model.countParams()).toBe(35_322_218);
    expect(model.countParams()).toBe(manifest.fcn_resnet50.params);
    expect(getModelEntry('fcn_resnet50').reference?.params).toBe(35_322_218);
    const listing = stateDictListing(model);
    expect(listing.map(([key]) => key)).toEqual(manifest.fcn_resnet50.stateDictKeys);
    expect(listing.map(([, shape]) => shape)).toEqual(manifest.fcn_resnet50.stateDictShapes);
    const aux = model.namedParameters().filter(([name]) => name.startsWith('aux_classifier.')).reduce((n, [, v]) => n + v.size, 0);
    expect(model.countParams() - aux).toBe(manifest.fcn_resnet50.paramsWithoutAux);
  });

  it('equals torchvision on wasm to 1e-4 (out and aux)', async () => {
    model.loadStateDict(deterministicStateDict(model));
    const input = npy('fcn_resnet50.input');
    const x = tf.tensor4d(nchwToNhwc(toFloat32Array(input), input.shape), [1, 64, 64, 3]);
    model.eval();
    const out = model.call(x) as tf.Tensor;
    expect(out.shape).toEqual([1, 64, 64, 21]);
    const expectedOut = npy('fcn_resnet50.out');
    const c = closeness(await out.data(), nchwToNhwc(toFloat32Array(expectedOut), expectedOut.shape));
    expect(c.maxRelativeError, 'out').toBeLessThan(1e-4);
    // Training mode with the aux head returns both maps; dropout is the only randomness, so compare aux through
    // an eval-mode pass of the aux head: the backbone's BatchNorms must stay in eval for torchvision's numbers.
    const features = model.backbone.call(x);
    model.auxClassifier!.eval();
    const aux = tf.image.resizeBilinear(model.auxClassifier!.call(features.aux!) as tf.Tensor4D, [64, 64], false, true);
    const expectedAux = npy('fcn_resnet50.aux');
    const a = closeness(await aux.data(), nchwToNhwc(toFloat32Array(expectedAux), expectedAux.shape));
    expect(a.maxRelativeError, 'aux').toBeLessThan(1e-4);
    console.info(`fcn_resnet50 vs torchvision (wasm): out ${c.maxRelativeError.toExponential(2)}, aux ${a.maxRelativeError.toExponential(2)} relative`);
    tf.dispose([x, out, aux, ...Object.values(features)]);
  });
});

const backends = await testBackends();

describe.each(backends)('fcn_resnet50 shapes on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('returns {out, aux} in training and logits [N, H, W, C] in eval, down to the 1x1 minimum', async () => {
    const model = new FCNResNet({ numClasses: 3, initWeights: false });
    expect(getModelEntry('fcn_resnet50').minInputSize).toBe(1);
    for (const [h, w] of [[1, 1], [7, 5]] as const) {
      const x = tf.randomNormal([2, h, w, 3]);
      model.train();
      const outputs = model.call(x) as FCNOutputs;
      expect(outputs.out.shape).toEqual([2, h, w, 3]);
      expect(outputs.aux.shape).toEqual([2, h, w, 3]);
      model.eval();
      const y = model.call(x) as tf.Tensor;
      expect(y.shape).toEqual([2, h, w, 3]);
      tf.dispose([x, outputs.out, outputs.aux, y]);
    }
    model.dispose();
  });
});
