import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { type Module, deterministicStateDict, listModels, readNpy, summary, toFloat32Array, torchShape } from '@convkit/core';
import { expectClose, nchwToNhwc, testBackends, useBackend } from '@convkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import './index.js';

/**
 * Every registered classifier against torchvision 0.14: parameter counts equal the published ones
 * (../../shared/reference.md, held in each entry's `reference`), multiply-adds at 224x224 from `summary`
 * match the published GMACs to 3 significant digits, the state dict has torchvision's names, order and
 * shapes, and with the same deterministic weights the logits agree to 1e-4 of the largest logit.
 * Fixtures: tools/fixtures/make_classifier_fixtures.py. Runs on wasm: VGG at 224 is 20 G multiply-adds.
 */
interface Fixture {
  key: string;
  builder: string;
  options: Record<string, unknown>;
  seed: number;
  input: string;
  logits: string;
  params: number;
  stateDict: { entries: number; sha256: string };
}

/** Registered models that no torchvision builder matches, and why. */
const NO_TORCHVISION_TWIN: [RegExp, string][] = [
  [/^alexnet_paper$/, "the 2012 paper's two-tower network; torchvision's alexnet is the one-tower 2014 variant"],
  [/^lenet5$/, 'torchvision has no LeNet'],
  [/^cifar_resnet\d+$/, "He et al.'s CIFAR-10 ResNets; torchvision has only the ImageNet ones"],
];
const hasTorchvisionTwin = (name: string) => !NO_TORCHVISION_TWIN.some(([pattern]) => pattern.test(name));

const fixtureUrl = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const npy = (name: string) => readNpy(new Uint8Array(readFileSync(fixtureUrl(name))));
const manifest = JSON.parse(readFileSync(fixtureUrl('manifest.json'), 'utf8')) as { torchvision: string; entries: Fixture[] };

const backends = await testBackends();

/**
 * Lets the worker answer vitest between the long synchronous steps of a VGG (seconds each): a worker that
 * never yields for 60 s fails with "Timeout calling onTaskUpdate".
 */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
const models = listModels({ task: 'classification' });

/** One "key dims" line per state-dict entry in PyTorch's order (each module's parameters, buffers, then children). */
function stateDictListing(model: Module<any, any>): string[] {
  const lines: string[] = [];
  const layouts = new Map(model.namedParameterLayouts());
  for (const [prefix, m] of model.namedModules()) {
    const own = (entries: [string, tf.Variable][]) => entries.filter(([n]) => !n.includes('.'));
    const key = (n: string) => (prefix ? `${prefix}.${n}` : n);
    for (const [n, v] of own(m.namedParameters())) lines.push(`${key(n)} ${torchShape(v.shape, layouts.get(key(n)) ?? 'plain').join(',')}`);
    for (const [n, v] of own(m.namedBuffers())) lines.push(`${key(n)} ${v.shape.join(',')}`);
  }
  return lines;
}

async function expectTorchvisionLogits(model: Module<tf.Tensor, unknown>, fixture: Fixture): Promise<void> {
  const listing = stateDictListing(model);
  expect(listing.length, 'state dict entries').toBe(fixture.stateDict.entries);
  expect(createHash('sha256').update(listing.join('\n')).digest('hex'), 'SHA-256 of the state dict listing').toBe(fixture.stateDict.sha256);
  expect(model.countParams()).toBe(fixture.params);

  await yieldToEventLoop();
  const weights = deterministicStateDict(model, fixture.seed);
  await yieldToEventLoop();
  model.loadStateDict(weights);
  await yieldToEventLoop();
  model.eval();
  const input = npy(fixture.input);
  const expected = npy(fixture.logits);
  const x = tf.tensor(nchwToNhwc(toFloat32Array(input), input.shape), [input.shape[0]!, input.shape[2]!, input.shape[3]!, input.shape[1]!]);
  const y = model.call(x) as tf.Tensor;
  const actual = await y.data();
  tf.dispose([x, y]);
  expect(y.shape).toEqual(expected.shape);
  expectClose(actual, toFloat32Array(expected), 1e-4, `${fixture.key} logits vs torchvision ${manifest.torchvision}`);
}

describe.skipIf(!backends.includes('wasm'))('torchvision 0.14', () => {
  beforeAll(() => useBackend('wasm'));

  it('has a fixture for every registered model with a torchvision twin, and a model for every fixture', () => {
    const registered = new Set(models.map((m) => m.name));
    const fixtured = new Set(manifest.entries.map((f) => f.builder));
    expect(manifest.entries.filter((f) => !registered.has(f.builder)).map((f) => f.key), 'fixtures without a registered model').toEqual([]);
    expect(models.filter((m) => !fixtured.has(m.name) && hasTorchvisionTwin(m.name)).map((m) => m.name), 'models without a fixture').toEqual([]);
  });

  describe.each(models)('$name', (entry) => {
    const fixtures = manifest.entries.filter((f) => f.builder === entry.name);
    const { params, gmacs } = entry.reference ?? {};
    let model: Module<tf.Tensor, unknown>;

    // Weights are overwritten below, so skip the family's init as torchvision does when it loads weights.
    beforeAll(() => {
      model = entry.create({ initWeights: false });
    });
    afterAll(() => model?.dispose());

    it.skipIf(params === undefined)(`has ${params?.toLocaleString('en-US')} parameters`, () => {
      expect(model.countParams()).toBe(params);
    });

    it.skipIf(gmacs === undefined)(`has ${gmacs} GMACs at ${entry.inputShape[0]}x${entry.inputShape[1]}`, () => {
      const macs = summary(model, [1, ...entry.inputShape]).macs;
      expect((macs / 1e9).toPrecision(3)).toBe(gmacs!.toPrecision(3));
    });

    for (const fixture of fixtures) {
      const sameModel = Object.keys(fixture.options).length === 0;
      it(`matches torchvision's names, shapes and logits${sameModel ? '' : ` with ${JSON.stringify(fixture.options)}`}`, async () => {
        if (sameModel) return expectTorchvisionLogits(model, fixture);
        const variant = entry.create({ ...fixture.options, initWeights: false });
        try {
          await expectTorchvisionLogits(variant, fixture);
        } finally {
          variant.dispose();
        }
      });
    }
  });
});
