import * as tf from '@tensorflow/tfjs-core';
import { type Module, deterministicStateDict, listModels } from '@convkit/core';
import { expectFusionKeepsOutputs, testBackends, useBackend } from '@convkit/test-utils';
import { afterAll, beforeAll, describe, it } from 'vitest';
import './index.js';

/**
 * Every registered detection model on every available backend: after fuseForInference, each tensor of
 * the unfused forward's output (features, or the RPN's objectness and deltas) to 1e-4 of its largest
 * value, and no tensors left once unfused. Deterministic weights, BatchNorm statistics included (with
 * PyTorch's initial ones folding changes next to nothing). yolov1 is left out: its 271M parameters at
 * 448x448 take minutes per forward on cpu, and it has neither BatchNorm nor ReLU (leaky ReLU throughout),
 * so fusion leaves it as it is; yolo_tiny runs the same layer builder with BatchNorm. fasterrcnn_resnet50_fpn
 * and fasterrcnn_vgg16 run one 128x128 image, and not on cpu: at their published sizes a forward is 134 and
 * over 100 GMACs.
 */
const backends = await testBackends();
const models = listModels({ task: 'detection' }).filter((entry) => entry.name !== 'yolov1');
const smallInput: Record<string, [number, number, number, number]> = { fasterrcnn_resnet50_fpn: [1, 128, 128, 3], fasterrcnn_vgg16: [1, 128, 128, 3] };

/** Every tensor of a forward's output, read back and disposed. */
describe.each(models)('$name', (entry) => {
  let model: Module<tf.Tensor, unknown>;
  beforeAll(async () => {
    await useBackend(backends[0]);
    model = entry.create();
    model.loadStateDict(deterministicStateDict(model, 1));
    model.eval();
  });
  afterAll(() => model?.dispose());

  it.for(backends.filter((b) => !(b === 'cpu' && entry.name in smallInput)))('fused for inference on %s: the unfused outputs to 1e-4, no leaked tensors', async (backend) => {
    await useBackend(backend);
    const [height, width, channels] = entry.inputShape;
    const x = tf.randomUniform(smallInput[entry.name] ?? [backend === 'cpu' ? 1 : 2, height, width, channels], 0, 1, 'float32', 3);
    try {
      await expectFusionKeepsOutputs(model, () => model.call(x), entry.name);
    } finally {
      x.dispose();
    }
  });
});
