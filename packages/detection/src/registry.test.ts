import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, type Module, deterministicStateDict, fuseForInference, listModels, unfuse } from '@convkit/core';
import { expectClose, liveTensors, testBackends, useBackend } from '@convkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
async function outputValues(output: unknown): Promise<Float32Array[]> {
  const tensors = output instanceof tf.Tensor ? [output] : Object.values(output as Record<string, tf.Tensor>);
  const values = await Promise.all(tensors.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose(tensors);
  return values;
}

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
      const expected = await outputValues(model.call(x));
      const before = liveTensors();
      fuseForInference(model);
      const actual = await outputValues(model.call(x));
      expect(actual.length).toBe(expected.length);
      actual.forEach((values, i) => expectClose(values, expected[i]!, 1e-4, `${entry.name} fused, output ${i}`));
      // What stays is a folded weight and bias per convolution with a BatchNorm folded in, until unfuse.
      const folded = model.namedModules().filter(([, m]) => m instanceof Conv2d && m.fold?.batchNorm).length;
      expect(liveTensors()).toBe(before + 2 * folded);
      unfuse(model);
      expect(liveTensors()).toBe(before);
    } finally {
      unfuse(model);
      x.dispose();
    }
  });
});
