import * as tf from '@tensorflow/tfjs-core';
import { type CreateModelOptions, type Module, deterministicStateDict, listModels } from '@convkit/core';
import { expectFusionKeepsOutputs, testBackends, useBackend } from '@convkit/test-utils';
import { afterAll, beforeAll, describe, it } from 'vitest';
import './index.js';

/**
 * Every registered segmentation model on every available backend: after fuseForInference, the unfused
 * logits to 1e-4 of the largest, and no tensors left once unfused. Deterministic weights, BatchNorm
 * statistics included (with PyTorch's initial ones folding changes next to nothing, and FCN's class
 * scorers start at zero). The FCN-VGG16 variants are built at narrow widths: the same layers and
 * connections as VGG16's, which is what fusion depends on, at a fraction of a full-width forward.
 */
const backends = await testBackends();
const models = listModels({ task: 'segmentation' });

const NARROW_VGG16: CreateModelOptions = { stages: [[4, 4], [6, 6], [8, 8, 8], [8, 8, 8], [8, 8, 8]], fcChannels: 16 };
const BUILD_OPTIONS: Record<string, CreateModelOptions> = {
  fcn32s_vgg16: NARROW_VGG16,
  fcn16s_vgg16: NARROW_VGG16,
  fcn8s_vgg16: NARROW_VGG16,
  fcn_resnet50: { initWeights: false },
};
/** Small enough for the dilated ResNet-50 on cpu; FCN-VGG's padding of 100 makes any input a 200-pixel one. */
const SIDE = 16;

/** Eval-mode output [N, H, W, classes], read back and disposed. */
describe.each(models)('$name', (entry) => {
  let model: Module<tf.Tensor, unknown>;
  beforeAll(async () => {
    await useBackend(backends[0]);
    model = entry.create(BUILD_OPTIONS[entry.name]);
    model.loadStateDict(deterministicStateDict(model, 1));
    model.eval();
  });
  afterAll(() => model?.dispose());

  it.for(backends)('fused for inference on %s: the unfused logits to 1e-4, no leaked tensors', async (backend) => {
    await useBackend(backend);
    const shape = [backend === 'cpu' ? 1 : 2, Math.max(SIDE, entry.minInputSize), Math.max(SIDE, entry.minInputSize), entry.inputShape[2]];
    const x = tf.randomNormal(shape, 0, 1, 'float32', 3);
    try {
      await expectFusionKeepsOutputs(model, () => model.call(x), entry.name, shape);
    } finally {
      x.dispose();
    }
  });
});
