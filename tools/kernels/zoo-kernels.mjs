// Lists the tfjs kernels every registered convkit model runs in an eval forward, plus a train step
// of one model per family (the gradient kernels repeat within a family; a VGG train step alone
// costs minutes on a CPU), by profiling on the wasm backend, into zoo-kernels.json beside it. The
// backends' tests read that file (backend-cuda's kernel-coverage.test.ts, backend-onednn's
// plugin.test.ts) to say which kernels they run natively; tools/device/cuda-check.ts reports any
// kernel of it missing on the GPU. It lives here, not in a backend, because it imports every model
// package. Rerun after adding models or layers:
//   pnpm --filter @convkit/tools zoo-kernels
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy, listModels, trainStep, useBackend } from '@convkit/core';
import '@convkit/backend-wasm';
import '@convkit/classifiers';
import '@convkit/segmentation';
import '@convkit/detection';

const out = join(dirname(fileURLToPath(import.meta.url)), 'zoo-kernels.json');
await useBackend('wasm');

/** Kernel names a profile saw; custom-gradient ops (fusedConv2d__op, ...) appear in it too but are no kernels. */
function names(profile) {
  return [...new Set(profile.kernels.map((k) => k.name).filter((name) => !name.endsWith('__op')))].sort();
}

function trainLoss(entry, output, labels) {
  if (entry.task === 'classification') {
    if (output instanceof tf.Tensor) return crossEntropy(output, labels);
    const { logits, ...aux } = output;
    return Object.values(aux).reduce((loss, head) => tf.add(loss, tf.mul(0.3, crossEntropy(head, labels))), crossEntropy(logits, labels));
  }
  // Segmentation: per-pixel cross-entropy over [N, H, W, classes] logits.
  const logits = output instanceof tf.Tensor ? output : output.out;
  const classes = logits.shape[3];
  const pixelLabels = tf.zeros([logits.shape[0] * logits.shape[1] * logits.shape[2]], 'int32');
  return crossEntropy(tf.reshape(logits, [-1, classes]), pixelLabels);
}

const TRAINED = new Set(['lenet5', 'alexnet', 'vgg11_bn', 'googlenet', 'resnet18', 'cifar_resnet20', 'densenet121', 'fcn_tiny']);
const models = {};
for (const entry of listModels()) {
  const started = Date.now();
  const model = entry.create({ initWeights: false });
  const channels = entry.inputShape[2];
  // At least 32 px, within what the model accepts (R-CNN's classifier takes exactly its 24 px crops).
  const size = Math.min(entry.inputShape[0], Math.max(32, entry.minInputSize));
  model.eval();
  const forward = names(await tf.profile(() => {
    const y = model.call(tf.randomNormal([1, size, size, channels], 0, 1, 'float32', 1));
    return y instanceof tf.Tensor ? y : Object.values(y);
  }));
  let train = [];
  if (TRAINED.has(entry.name)) {
    const batch = 2;
    const x = tf.randomNormal([batch, size, size, channels], 0, 1, 'float32', 2);
    const labels = tf.tensor1d([0, 1], 'int32');
    const optimizer = tf.train.sgd(1e-4);
    model.train();
    train = names(await tf.profile(() => trainStep(model, optimizer, () => trainLoss(entry, model.call(x), labels))));
    model.eval();
    tf.dispose([x, labels]);
    optimizer.dispose();
  }
  model.dispose();
  models[entry.name] = { task: entry.task, forward, train };
  console.log(`${entry.name}: ${forward.length} forward, ${train.length} train kernels (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
const all = [...new Set(Object.values(models).flatMap((m) => [...m.forward, ...m.train]))].sort();
writeFileSync(out, JSON.stringify({ generatedBy: 'tools/kernels/zoo-kernels.mjs on wasm', tfjs: tf.version_core, all, models }, null, 1) + '\n');
console.log(`${all.length} kernels -> ${out}`);
