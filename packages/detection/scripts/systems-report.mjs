// Trains and measures every detection system on the synthetic shapes set and writes the pictures and
// numbers of docs/detection/systems.md. Run after `pnpm build` of this package:
//   node packages/detection/scripts/systems-report.mjs [--quick]
// Writes docs/detection/img/*.png, docs/detection/systems-results.json, and the trained weights to
// $CONVKIT_WEIGHTS_DIR (default /tmp/convkit-detection-weights) for `convkit detect --weights`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { deterministicStateDict, writeSafetensors } from '@convkit/core';
import { testBackends, useBackend } from '@convkit/test-utils';
import { PNG } from 'pngjs';
import {
  SHAPE_CLASSES, detectYolo, drawDetections, evaluateDetections, fasterrcnnSmall, fastrcnnSmall, rcnnSmall, regionProposals,
  shapesSplits, trainDetector, trainYolo, yoloTiny, yolov1, yolov1ParamCount,
} from '@convkit/detection';

const quick = process.argv.includes('--quick');
const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const imgDir = join(root, 'docs/detection/img');
const weightsDir = process.env.CONVKIT_WEIGHTS_DIR ?? '/tmp/convkit-detection-weights';
mkdirSync(imgDir, { recursive: true });
mkdirSync(weightsDir, { recursive: true });
await testBackends();
await useBackend('wasm');

const { train, test } = shapesSplits(quick ? 32 : 256, quick ? 8 : 64);
const pictures = [0, 1, 2];
const results = { machine: cpus()[0]?.model, cores: cpus().length, backend: tf.getBackend(), train: train.length, test: test.length, systems: {} };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function savePng(name, rgba) {
  const png = new PNG({ width: rgba.width, height: rgba.height });
  png.data = Buffer.from(rgba.data);
  writeFileSync(join(imgDir, name), PNG.sync.write(png));
}
for (const i of pictures) {
  const s = test[i];
  savePng(`truth-${i}.png`, drawDetections(s.image, { boxes: s.boxes, scores: new Float32Array(s.labels.length).fill(1), labels: s.labels }, { classNames: SHAPE_CLASSES, scale: 4 }));
}

/** Detects the test images one at a time: per-image wall times (median), mAP, pictures. */
async function measure(name, detectOne, extra = {}) {
  const detections = [];
  const times = [];
  for (const s of test) {
    const t0 = performance.now();
    detections.push(await detectOne(s.image));
    times.push(performance.now() - t0);
  }
  const evaluation = evaluateDetections(detections, test, { numClasses: 3 });
  for (const i of pictures) savePng(`${name}-${i}.png`, drawDetections(test[i].image, detections[i], { classNames: SHAPE_CLASSES, scale: 4 }));
  results.systems[name] = { map: evaluation.map, ap: evaluation.ap, msPerImage: median(times), ...extra };
  console.log(name, JSON.stringify(results.systems[name]));
  writeFileSync(join(root, 'docs/detection/systems-results.json'), JSON.stringify(results, null, 2) + '\n');
}

async function saveWeights(name, model) {
  writeFileSync(join(weightsDir, `${name}.safetensors`), writeSafetensors(await model.stateDict()));
}

// Selective search, shared by R-CNN and Fast R-CNN.
let t0 = performance.now();
const withProposals = train.map((s) => ({ ...s, proposals: regionProposals(s.image) }));
const ssMs = (performance.now() - t0) / train.length;
console.log(`selective search: ${ssMs.toFixed(1)} ms per image`);

const epochs = { yolo: quick ? 1 : 12, faster: quick ? 1 : 5, fast: quick ? 1 : 5, rcnn: quick ? 1 : 4 };

{
  const model = rcnnSmall();
  model.loadStateDict(deterministicStateDict(model, 6));
  t0 = performance.now();
  await model.fit(withProposals, { epochs: epochs.rcnn, cropsPerImage: 16 });
  const trainS = (performance.now() - t0) / 1000;
  await measure('rcnn_small', async (image) => (await model.detect([image]))[0], { trainSeconds: trainS, epochs: epochs.rcnn, selectiveSearchMs: ssMs });
  await saveWeights('rcnn_small', model);
  model.dispose();
}
{
  const model = fastrcnnSmall();
  model.loadStateDict(deterministicStateDict(model, 5));
  t0 = performance.now();
  const losses = await trainDetector(model, withProposals, { epochs: epochs.fast, batchSize: 4, learningRate: 2e-3 });
  const trainS = (performance.now() - t0) / 1000;
  await measure('fastrcnn_small', async (image) => (await model.detect([image]))[0], { trainSeconds: trainS, epochs: epochs.fast, losses, selectiveSearchMs: ssMs });
  await saveWeights('fastrcnn_small', model);
  model.dispose();
}
{
  const model = fasterrcnnSmall();
  model.loadStateDict(deterministicStateDict(model, 3));
  t0 = performance.now();
  const losses = await trainDetector(model, train, { epochs: epochs.faster, batchSize: 4, learningRate: 2e-3 });
  const trainS = (performance.now() - t0) / 1000;
  await measure('fasterrcnn_small', async (image) => (await model.detect([image]))[0], { trainSeconds: trainS, epochs: epochs.faster, losses });
  await saveWeights('fasterrcnn_small', model);
  model.dispose();
}
{
  const model = yoloTiny();
  model.loadStateDict(deterministicStateDict(model, 3));
  t0 = performance.now();
  const losses = await trainYolo(model, train, { epochs: epochs.yolo, batchSize: 16, learningRate: 3e-3, objectness: 'one' });
  const trainS = (performance.now() - t0) / 1000;
  await measure('yolo_tiny', async (image) => (await detectYolo(model, [image]))[0], { trainSeconds: trainS, epochs: epochs.yolo, losses });
  await saveWeights('yolo_tiny', model);
  model.dispose();
}
if (!quick) {
  const model = yolov1();
  results.yolov1 = { params: model.countParams(), fromTable: yolov1ParamCount() };
  console.log('yolov1', results.yolov1);
  model.dispose();
  writeFileSync(join(root, 'docs/detection/systems-results.json'), JSON.stringify(results, null, 2) + '\n');
}
