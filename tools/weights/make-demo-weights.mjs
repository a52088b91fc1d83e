// Trains the small models the demos run with real weights, and writes the sample scenes they run on:
//
//   pnpm build && node tools/weights/make-demo-weights.mjs [--out assets]
//
// No pretrained weights can be downloaded here, so convkit trains its own, from seeded initial weights
// and seeded data, on the wasm backend: LeNet-5 on scikit-learn's digits, fcn_tiny on the segmentation
// shapes, Faster R-CNN (small) and the small YOLO on the detection shapes. Writes
//   <out>/weights/<model>-<data>.safetensors  (PyTorch names; training recipe and test metric in the metadata)
//   <out>/weights/results.json               (the measured metrics, quoted by assets/README.md)
//   <out>/images/shapes-*.png|json, digit-*.png  (held-out samples with their ground truth)
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('../../', import.meta.url));
// tools/ has no dependencies of its own: resolve them as the CLI, which depends on every package, does.
const requireFromCli = createRequire(join(root, 'apps/cli/package.json'));
const load = (specifier) => import(pathToFileURL(requireFromCli.resolve(specifier)).href);

const tf = await load('@tensorflow/tfjs-core');
const { deterministicStateDict, useBackend, writeSafetensors } = await load('@convkit/core');
await load('@convkit/backend-wasm');
const { LENET5_DIGITS_RECIPE, loadDigits, splitDigits, trainLenet5Digits } = await load('@convkit/classifiers');
const { FCNTiny, FCN_TINY_SHAPES_RECIPE, initialiseFcnTiny, makeShapes, meanIoU, pixelAccuracy, trainFcnTiny } = await load('@convkit/segmentation');
const { SHAPES_RECIPES, evaluateDetections, fasterrcnnSmall, shapesSplits, yoloTiny } = await load('@convkit/detection');
const { PNG } = await load('pngjs');

const { values: args } = parseArgs({ options: { out: { type: 'string', default: join(root, 'assets') } } });
const out = resolve(args.out);
mkdirSync(join(out, 'weights'), { recursive: true });
mkdirSync(join(out, 'images'), { recursive: true });
await useBackend('wasm');

const results = { machine: `${cpus()[0]?.model}, ${cpus().length} vCPUs`, date: new Date().toISOString().slice(0, 10), backend: 'wasm', models: {} };

function writePng(name, width, height, rgba) {
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba);
  writeFileSync(join(out, 'images', name), PNG.sync.write(png));
}

/** [H, W, 3] floats in [0, 1] -> RGBA bytes. */
function rgbaFromFloat(rgb, pixels) {
  const rgba = new Uint8Array(pixels * 4);
  for (let i = 0; i < pixels; i++) {
    for (let c = 0; c < 3; c++) rgba[i * 4 + c] = Math.round(Math.min(1, Math.max(0, rgb[i * 3 + c])) * 255);
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}

async function saveWeights(file, model, metadata) {
  const strings = Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  writeFileSync(join(out, 'weights', file), writeSafetensors(await model.stateDict(), strings));
}

function seconds(start) {
  return Math.round((performance.now() - start) / 100) / 10;
}

// LeNet-5 on the 8x8 digits, upscaled bilinearly to its 32x32 input; ink is bright (1), paper dark (0): the
// package's own recipe (packages/classifiers/src/lenet/recipe.ts), which `convkit train` runs too.
{
  const { train, test } = splitDigits(await loadDigits());
  const started = performance.now();
  const { model, testAccuracy: accuracy, losses, testImages: xTest } = await trainLenet5Digits({ train, test });
  const { epochs, batchSize: batch, seed } = LENET5_DIGITS_RECIPE;
  const recipe = { data: 'scikit-learn digits, splitDigits train (1,438), 8x8 upscaled bilinearly to 32x32, ink 1 on 0', seed, optimizer: 'adam 2e-3', epochs, batch };
  results.models['lenet5-digits'] = { model: 'lenet5', testAccuracy: accuracy, testImages: test.count, trainSeconds: seconds(started), losses, recipe };
  await saveWeights('lenet5-digits.safetensors', model, { model: 'lenet5', recipe, test_accuracy: accuracy.toFixed(4) });
  // Ten held-out digits, one per class, as 32x32 grayscale PNGs exactly as LeNet sees them.
  const pixels = await xTest.data();
  for (let digit = 0; digit < 10; digit++) {
    const i = test.labels.indexOf(digit);
    const rgba = new Uint8Array(32 * 32 * 4);
    for (let p = 0; p < 32 * 32; p++) {
      const v = Math.round(Math.min(1, Math.max(0, pixels[i * 1024 + p])) * 255);
      rgba.set([v, v, v, 255], p * 4);
    }
    writePng(`digit-${digit}.png`, 32, 32, rgba);
  }
  console.log(`lenet5-digits: test accuracy ${(accuracy * 100).toFixed(1)}% in ${seconds(started)} s`);
  xTest.dispose();
  model.dispose();
}

// fcn_tiny on the segmentation shapes: packages/segmentation's recipe (trainFcnTiny), which its test runs shorter.
{
  const SIZE = 32;
  const CLASSES = 4;
  const r = FCN_TINY_SHAPES_RECIPE;
  const { steps, batchSize: batch } = r;
  const train = makeShapes({ count: r.trainCount, size: SIZE, seed: 1 });
  const test = makeShapes({ count: 64, size: SIZE, seed: 2 });
  const model = new FCNTiny({ numClasses: CLASSES });
  initialiseFcnTiny(model, r.seed);
  const pixels = SIZE * SIZE;
  const started = performance.now();
  await trainFcnTiny(model, train);
  model.eval();
  const prediction = tf.tidy(() => tf.argMax(model.call(tf.sub(tf.tensor4d(test.images, [test.count, SIZE, SIZE, 3]), 0.5)), -1));
  const classes = await prediction.data();
  prediction.dispose();
  const miou = meanIoU(test.masks, classes, { numClasses: CLASSES });
  const accuracy = pixelAccuracy(test.masks, classes, { numClasses: CLASSES });
  const recipe = { data: 'makeShapes({ count: 2048, size: 32, seed: 1 })', input: 'x - 0.5 for x in [0, 1] (mean 0.5, std 1)', seed: 0, optimizer: 'adam 5e-3, 1e-3 from step 900', steps, batch };
  results.models['fcn_tiny-shapes'] = { model: 'fcn_tiny', meanIoU: miou, pixelAccuracy: accuracy, testImages: test.count, trainSeconds: seconds(started), recipe };
  await saveWeights('fcn_tiny-shapes.safetensors', model, { model: 'fcn_tiny', recipe, test_mean_iou: miou.toFixed(4) });
  // A held-out scene and its ground-truth label map (pixel value = class index into SHAPE_CLASSES).
  const i = 0;
  writePng('shapes-segmentation.png', SIZE, SIZE, rgbaFromFloat(test.images.subarray(i * pixels * 3, (i + 1) * pixels * 3), pixels));
  const mask = new Uint8Array(pixels * 4);
  for (let p = 0; p < pixels; p++) {
    const c = test.masks[i * pixels + p];
    mask.set([c, c, c, 255], p * 4);
  }
  writePng('shapes-segmentation-mask.png', SIZE, SIZE, mask);
  console.log(`fcn_tiny-shapes: mean IoU ${miou.toFixed(3)}, pixel accuracy ${accuracy.toFixed(3)} in ${seconds(started)} s`);
  model.dispose();
}

// The two one-stage/two-stage detectors on the detection shapes: packages/detection's SHAPES_RECIPES.
const { train, test } = shapesSplits(256, 64);
const detectors = [{ name: 'fasterrcnn_small', create: fasterrcnnSmall }, { name: 'yolo_tiny', create: yoloTiny }].map((d) => {
  const r = SHAPES_RECIPES.get(d.name);
  return { ...d, seed: r.seed, epochs: r.epochs, fit: (m, e) => r.train(m, train, { epochs: e }), recipe: r.description };
});
for (const d of detectors) {
  const model = d.create();
  model.loadStateDict(deterministicStateDict(model, d.seed));
  const started = performance.now();
  const losses = await d.fit(model, d.epochs);
  const trainSeconds = seconds(started);
  model.eval();
  const evaluation = evaluateDetections(await model.detect(test.map((s) => s.image)), test, { numClasses: 3 });
  const recipe = { data: 'shapesSplits(256, 64).train (64x64)', seed: d.seed, epochs: d.epochs, optimizer: d.recipe };
  results.models[`${d.name}-shapes`] = { model: d.name, mapAt50: evaluation.map, ap: evaluation.ap, testImages: test.length, trainSeconds, losses, recipe };
  await saveWeights(`${d.name}-shapes.safetensors`, model, { model: d.name, recipe, test_map_50: evaluation.map.toFixed(4) });
  console.log(`${d.name}-shapes: mAP@0.5 ${evaluation.map.toFixed(3)} in ${trainSeconds} s`);
  model.dispose();
}
// The first held-out scene with the most objects, with its ground truth ([x1, y1, x2, y2] in pixels,
// labels index SHAPE_CLASSES).
{
  const s = test.reduce((best, t) => (t.labels.length > best.labels.length ? t : best));
  const rgba = new Uint8Array(s.image.width * s.image.height * 4);
  for (let p = 0; p < s.image.width * s.image.height; p++) rgba.set([s.image.data[p * 3], s.image.data[p * 3 + 1], s.image.data[p * 3 + 2], 255], p * 4);
  writePng('shapes-detection.png', s.image.width, s.image.height, rgba);
  const boxes = [];
  for (let k = 0; k < s.labels.length; k++) boxes.push({ box: Array.from(s.boxes.subarray(k * 4, k * 4 + 4)), label: s.labels[k] });
  writeFileSync(join(out, 'images', 'shapes-detection.json'), `${JSON.stringify({ classes: ['disc', 'square', 'triangle'], objects: boxes }, null, 2)}\n`);
}
writeFileSync(join(out, 'weights', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(`wrote ${out}/weights and ${out}/images`);
