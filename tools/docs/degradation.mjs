// The degradation problem (He et al. 2015, figure 1 and 6) on the digits data set: plain networks and
// ResNets of the same depths, trained the same way, with the training loss and accuracy of every epoch.
//
//   node tools/docs/degradation.mjs [--depths 20,56] [--epochs 30] [--out docs/classifiers]
//
// Runs against the built packages (pnpm build first) on the wasm backend, writes degradation.json to
// --out, then draws resnet-degradation.png from it with tools/docs/plot-degradation.mjs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy, seededRandom, shuffledIndices, trainStep, useBackend } from '@convkit/core';
import '@convkit/backend-wasm';
import { loadDigits, splitDigits } from '@convkit/classifiers';
import { cifarResnet } from '@convkit/classifiers/resnet';

const root = fileURLToPath(new URL('../../', import.meta.url));

const { values } = parseArgs({
  options: {
    depths: { type: 'string', default: '20,56' },
    epochs: { type: 'string', default: '30' },
    out: { type: 'string', default: 'docs/classifiers' },
  },
});
const depths = values.depths.split(',').map(Number);
const epochs = Number(values.epochs);
const out = resolve(root, values.out);

const settings = { optimizer: 'SGD, momentum 0.9', learningRate: 0.05, batchSize: 64, epochs, weightDecay: 0, augmentation: 'none' };

async function testAccuracy(model, data) {
  model.eval();
  const predicted = tf.tidy(() => tf.argMax(model.call(tf.tensor4d(data.images, [data.count, 8, 8, 1])), 1));
  const labels = await predicted.data();
  predicted.dispose();
  return labels.reduce((n, label, i) => n + (label === data.labels[i] ? 1 : 0), 0) / data.count;
}

async function run(depth, plain, train, test) {
  // The builders' own initialisation (torchvision's: kaiming normal, BatchNorm 1 and 0), unseeded.
  const model = cifarResnet(depth, { inChannels: 1, numClasses: 10, plain });
  const optimizer = tf.train.momentum(settings.learningRate, 0.9);
  const images = tf.tensor4d(train.images, [train.count, 8, 8, 1]);
  const labels = tf.tensor1d(train.labels, 'int32');
  const next = seededRandom(2015);
  const history = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const started = performance.now();
    model.train();
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    const order = shuffledIndices(train.count, next);
    for (let start = 0; start + settings.batchSize <= train.count; start += settings.batchSize) {
      const index = tf.tensor1d(order.slice(start, start + settings.batchSize), 'int32');
      const x = tf.gather(images, index);
      const y = tf.gather(labels, index);
      let hits;
      const loss = await trainStep(model, optimizer, () => {
        const logits = model.call(x);
        hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'int32')));
        return crossEntropy(logits, y);
      });
      correct += (await hits.data())[0];
      hits.dispose();
      lossSum += loss * settings.batchSize;
      seen += settings.batchSize;
      tf.dispose([index, x, y]);
    }
    const row = {
      epoch,
      trainLoss: lossSum / seen,
      trainError: 1 - correct / seen,
      testError: 1 - (await testAccuracy(model, test)),
      seconds: (performance.now() - started) / 1000,
    };
    history.push(row);
    console.log(`${plain ? 'plain' : 'resnet'}-${depth} epoch ${epoch}: loss ${row.trainLoss.toFixed(4)}, train error ${(row.trainError * 100).toFixed(2)}%, test error ${(row.testError * 100).toFixed(2)}%, ${row.seconds.toFixed(1)} s`);
  }
  const params = model.countParams();
  tf.dispose([images, labels]);
  optimizer.dispose();
  model.dispose();
  return { name: `${plain ? 'plain' : 'resnet'}-${depth}`, depth, plain, params, history };
}

await useBackend('wasm');
const { train, test } = splitDigits(await loadDigits());
const runs = [];
for (const depth of depths) for (const plain of [true, false]) runs.push(await run(depth, plain, train, test));

const result = {
  description: 'Plain networks and ResNets of the same depth (He et al. 2015, section 4.2, option A shortcuts) trained from scratch on the digits data set (8x8x1, 1,438 train / 359 test images, convkit splitDigits).',
  date: new Date().toISOString().slice(0, 10),
  machine: `${cpus().length} vCPU ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, tfjs-backend-wasm`,
  settings,
  runs,
};
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'degradation.json'), JSON.stringify(result, null, 1) + '\n');
console.log(`wrote ${join(out, 'degradation.json')}`);
const { plotDegradation } = await import('./plot-degradation.mjs');
await plotDegradation(result, join(out, 'resnet-degradation.png'));
