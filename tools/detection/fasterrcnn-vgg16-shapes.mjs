// A short training run of the paper's VGG-16 Faster R-CNN at 64x64 on the bundled shapes, printing a table
// of both stages' losses and the held-out mAP@0.5 before training and after each epoch:
//
//   pnpm build && node tools/detection/fasterrcnn-vgg16-shapes.mjs [--backend onednn] [--epochs 3] [--train 96] [--json]
//
// The recipe is packages/detection's FASTERRCNN_VGG16_SHAPES (deterministic initial weights, Adam); no
// ImageNet VGG-16 weights are to be had offline, so the backbone starts from seeded weights too.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('../../', import.meta.url));
// tools/ has no dependencies of its own: resolve them as the CLI, which depends on every package, does.
const requireFromCli = createRequire(join(root, 'apps/cli/package.json'));
const load = (specifier) => import(pathToFileURL(requireFromCli.resolve(specifier)).href);

const tf = await load('@tensorflow/tfjs-core');
const { deterministicStateDict, useBackend } = await load('@convkit/core');
await load('@convkit/backend-wasm');
await load('@convkit/backend-onednn');
const { FASTERRCNN_VGG16_SHAPES, evaluateDetections, fasterrcnnVgg16, imagesToTensor, shapesSplits, trainDetector } = await load('@convkit/detection');

const { values: args } = parseArgs({
  options: { backend: { type: 'string' }, epochs: { type: 'string', default: '3' }, train: { type: 'string', default: '96' }, test: { type: 'string', default: '32' }, json: { type: 'boolean' } },
});
const backend = await useBackend(args.backend);
const recipe = FASTERRCNN_VGG16_SHAPES;
const { train, test } = shapesSplits(Number(args.train), Number(args.test));
const model = fasterrcnnVgg16({ ...recipe.build, initWeights: false });
model.loadStateDict(deterministicStateDict(model, recipe.seed));

/** Each stage's loss on the held-out images in training mode (no step taken): the mean over batches of 4. */
function heldOutLosses() {
  model.train();
  const sums = { rpn: 0, roiHeads: 0 };
  let batches = 0;
  for (let i = 0; i + 4 <= test.length; i += 4, batches++) {
    const batch = test.slice(i, i + 4);
    const values = tf.tidy(() => {
      const parts = model.loss(imagesToTensor(batch.map((s) => s.image)), batch);
      return Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, v.dataSync()[0]]));
    });
    for (const k of Object.keys(sums)) sums[k] += values[k];
  }
  return { rpn: sums.rpn / batches, roiHeads: sums.roiHeads / batches };
}

async function measure(epoch, trainLoss, seconds) {
  const losses = heldOutLosses();
  const evaluation = evaluateDetections(await model.detect(test.map((s) => s.image)), test, { numClasses: 3 });
  return { epoch, trainLoss, heldOutRpn: losses.rpn, heldOutRoiHeads: losses.roiHeads, mapAt50: evaluation.map, ap: evaluation.ap, seconds };
}

const rows = [await measure(0, NaN, 0)];
const optimizer = tf.train.adam(recipe.learningRate);
const started = performance.now();
for (let epoch = 1; epoch <= Number(args.epochs); epoch++) {
  const [loss] = await trainDetector(model, train, { epochs: 1, batchSize: recipe.batchSize, optimizer, seed: epoch });
  rows.push(await measure(epoch, loss, Math.round((performance.now() - started) / 100) / 10));
}
optimizer.dispose();
model.dispose();

if (args.json) console.log(JSON.stringify({ backend, recipe, train: train.length, test: test.length, rows }, null, 2));
else {
  const f = (v) => (Number.isNaN(v) ? '-' : v.toFixed(3));
  console.log(`fasterrcnn_vgg16 at 64x64 on ${train.length} shapes images (${backend}), held out: ${test.length}`);
  console.log('| epoch | train loss | held-out RPN loss | held-out RoI heads loss | held-out mAP@0.5 | AP disc / square / triangle | s |');
  console.log('|---:|---:|---:|---:|---:|---|---:|');
  for (const r of rows) console.log(`| ${r.epoch} | ${f(r.trainLoss)} | ${f(r.heldOutRpn)} | ${f(r.heldOutRoiHeads)} | ${f(r.mapAt50)} | ${r.ap.map(f).join(' / ')} | ${r.seconds} |`);
}
