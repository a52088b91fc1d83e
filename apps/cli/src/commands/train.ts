import * as tf from '@tensorflow/tfjs-core';
import { loadAdamStateDict } from '@convkit/core';
import { existsSync, rmdirSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { lineChart, type Series } from '../charts.js';
import { CliError, ExitCode } from '../cli-error.js';
import { checkOutputFolder, lockFolder, makeOutputFolder, writeOutputFiles } from '../files.js';
import { integerOption, positiveOption } from '../option-values.js';
import { progressBar } from '../progress.js';
import { selectBackend } from '../setup.js';
import { loadWeights } from '../weights.js';
import { type CheckpointInfo, type EpochRecord, optimizerStatePath, readCheckpoint, writeCheckpoint } from '../training/checkpoint.js';
import { openDataSet } from '../training/datasets.js';
import { type DataSet, type EpochResult, type TrainSettings, type Trainer, yieldToEventLoop } from '../training/trainer.js';
import { lookupModel } from '../lookup-model.js';

export interface TrainOptions {
  model: string;
  /** A bundled data set's name, or a path: a folder of class folders or of IDX files, a VOC root, a COCO instances_*.json. */
  data: string;
  /** A COCO annotations file's images folder (default: the split's folder beside annotations/). */
  images?: string;
  /** Held-out data for --data files (default: the set's own test split). */
  val?: string;
  /** --skip-corrupt: leave corrupt images of --data files out, counted, instead of stopping at the first. */
  skipCorrupt?: boolean;
  /** The epoch to train up to; a resumed run goes on from the checkpoint's epoch to this one. */
  epochs: string;
  batchSize?: string;
  lr?: string;
  seed?: string;
  /** Where the per-epoch checkpoints go (default: <out>/checkpoints). */
  checkpointDir?: string;
  resume?: string;
  /** Folder for loss.json and loss.png. */
  out: string;
  backend?: string;
}

export interface TrainResult {
  history: EpochRecord[];
  metricName: string;
  /** Every file written, checkpoints first. */
  files: string[];
}

/**
 * `convkit train --model m --data d --epochs n`: trains a registered model on a bundled data set with
 * the packages' own training code, writing a safetensors checkpoint after every epoch (weights plus the
 * run's settings and learning curve in the header metadata), loss.json and loss.png. Everything the
 * command line says is checked before the first epoch starts.
 */
export async function trainCommand(options: TrainOptions): Promise<void> {
  await train(options);
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const entry = lookupModel(options.model);
  const data = openDataSet(options.data, { val: options.val, skipCorrupt: options.skipCorrupt, task: entry.task, images: options.images });
  const rejected = data.rejects(entry);
  if (rejected) throw new CliError(`${rejected} (${data.name} trains: ${data.models().join(', ')})`);
  const epochs = integerOption(options.epochs, '--epochs', 1);
  const resumed = options.resume ? await readCheckpoint(options.resume) : null;
  const info = resumed?.info ?? null;
  if (resumed?.model && resumed.model !== entry.name) throw new CliError(`checkpoint '${options.resume}' holds ${resumed.model}, not ${entry.name}; pass --model ${resumed.model}`);
  if (info) checkResumable(info, data, epochs, options.resume!);
  const defaults = data.defaults(entry);
  const settings: TrainSettings = {
    batchSize: options.batchSize === undefined ? info?.batchSize ?? defaults.batchSize : integerOption(options.batchSize, '--batch-size', 1),
    learningRate: options.lr === undefined ? info?.learningRate ?? defaults.learningRate : positiveOption(options.lr, '--lr'),
    seed: options.seed === undefined ? info?.seed ?? 0 : integerOption(options.seed, '--seed', 0),
  };
  if (settings.batchSize > data.trainCount) {
    // Every epoch would have no step: a NaN loss and a checkpoint of untrained weights.
    const from = options.batchSize !== undefined ? `--batch-size ${settings.batchSize}`
      : info ? `checkpoint '${options.resume}' says batch size ${settings.batchSize}` : `the default batch size is ${settings.batchSize}`;
    throw new CliError(`${from}, but ${data.name} has ${data.trainCount} training images; pass --batch-size ${data.trainCount} or less`, options.batchSize === undefined ? ExitCode.badInput : ExitCode.usage);
  }
  const out = resolve(options.out);
  const checkpointDir = resolve(options.checkpointDir ?? join(out, 'checkpoints'));
  for (const [folder, option] of [[out, '--out'], [checkpointDir, '--checkpoint-dir']] as const) await checkOutputFolder(folder, option);
  const backend = await selectBackend(options.backend);
  const folders = [[out, '--out'], ...(checkpointDir.startsWith(out + sep) ? [] : [[checkpointDir, '--checkpoint-dir']])] as const;
  const unlocks: (() => Promise<void>)[] = [];
  // Folders this run creates, innermost first: removed again if the run fails before writing into them.
  const created = [checkpointDir, out].filter((folder) => !existsSync(folder));
  let finished = false;

  const model = entry.create({ numClasses: data.classes.length });
  try {
    if (resumed) {
      loadWeights(model, resumed.tensors, `checkpoint '${options.resume}'`, `${entry.name} built for ${data.name}`);
    } else {
      data.initialise(model, settings.seed);
    }
    const first = (info?.epoch ?? 0) + 1;
    console.log(
      `training ${entry.name} on ${data.name} (${data.description}) on ${backend}: epochs ${first} to ${epochs}, ` +
        `batch ${settings.batchSize}, Adam lr ${settings.learningRate}, seed ${settings.seed}` +
        (options.resume ? `, from ${options.resume}${info ? ` (epoch ${info.epoch})` : ' (no convkit metadata: its weights, epoch 0)'}` : ''),
    );
    if (info && (info.batchSize !== settings.batchSize || info.learningRate !== settings.learningRate || info.seed !== settings.seed)) {
      console.log(`  note: the checkpoint was trained with batch ${info.batchSize}, lr ${info.learningRate}, seed ${info.seed}; this run differs from an uninterrupted one`);
    }
    const optimizer = tf.train.adam(settings.learningRate);
    if (resumed?.optimizer) {
      try {
        await loadAdamStateDict(optimizer, model, resumed.optimizer);
      } catch (error) {
        optimizer.dispose();
        throw new CliError(`${optimizerStatePath(options.resume!)}: ${(error as Error).message.replace(/:\n\s*/, ': ').replace(/\n\s*/g, '; ')}`);
      }
    } else if (info) {
      console.log(`  note: no optimizer state beside the checkpoint (${optimizerStatePath(options.resume!)}); Adam starts afresh, so this run differs from an uninterrupted one`);
    }
    try {
      for (const [folder, option] of folders) await makeOutputFolder(folder, option);
      // Two runs into one folder would interleave their checkpoints and optimizer states.
      for (const [folder, option] of folders) unlocks.push(await lockFolder(folder, option));
      await makeOutputFolder(checkpointDir, '--checkpoint-dir');
    } catch (error) {
      optimizer.dispose();
      throw error;
    }
    const trainer = await data.prepare(model, entry, settings);
    const files: string[] = [];
    const history: EpochRecord[] = info ? [...info.history] : [];
    try {
      if (!info) {
        const before = await trainer.evaluate();
        history.push({ epoch: 0, loss: null, metric: before });
        console.log(`  before training: ${trainer.metricName} ${formatMetric(trainer.metricName, before)}`);
      }
      for (let epoch = first; epoch <= epochs; epoch++) {
        // The detection trainers give no turn to the event loop within an epoch; between epochs a signal is acted on.
        await yieldToEventLoop();
        const started = performance.now();
        const label = `epoch ${epoch}/${epochs}`;
        const result = await withProgress(label, trainer, epoch, optimizer, settings.batchSize);
        if (!Number.isFinite(result.loss)) {
          throw new CliError(`epoch ${epoch}'s training loss is ${result.loss}: the run diverged; nothing written for it (try a smaller --lr than ${settings.learningRate})`);
        }
        const metric = await trainer.evaluate();
        history.push({ epoch, loss: result.loss, metric, ...(result.stepLosses ? { stepLosses: result.stepLosses } : {}) });
        const path = join(checkpointDir, `${entry.name}-${data.fileStem ?? data.name}-epoch${epoch}.safetensors`);
        const checkpoint: CheckpointInfo = { model: entry.name, data: data.name, epoch, ...settings, metricName: trainer.metricName, classes: data.classes, history };
        await writeCheckpoint(path, model, checkpoint, optimizer);
        files.push(path, optimizerStatePath(path));
        await writeCurve(out, checkpoint, backend);
        const seconds = (performance.now() - started) / 1000;
        console.log(`  ${label}: loss ${result.loss.toFixed(4)}, ${trainer.metricName} ${formatMetric(trainer.metricName, metric)} (${seconds.toFixed(1)} s) -> ${relative(process.cwd(), path) || path}`);
      }
    } finally {
      trainer.dispose();
      optimizer.dispose();
    }
    files.push(join(out, 'loss.json'), join(out, 'loss.png'));
    console.log(`wrote ${join(out, 'loss.png')} and loss.json`);
    finished = true;
    return { history, metricName: trainer.metricName, files };
  } finally {
    model.dispose();
    for (const unlock of unlocks) await unlock();
    if (!finished) for (const folder of created) rmdirIfEmpty(folder);
  }
}

function rmdirIfEmpty(folder: string): void {
  try {
    rmdirSync(folder);
  } catch {
    // Not empty (a checkpoint was written) or already gone: either way it stays as it is.
  }
}

/** One epoch under a progress bar that moves with every step, with the training images per second. */
async function withProgress(label: string, trainer: Trainer, epoch: number, optimizer: tf.AdamOptimizer, batchSize: number): Promise<EpochResult> {
  let bar: ReturnType<typeof progressBar> | null = null;
  const started = performance.now();
  try {
    return await trainer.trainEpoch(epoch, optimizer, (done, total, loss) => {
      bar ??= progressBar(label, total);
      bar.update(done, `loss ${loss.toFixed(3)}, ${((done * batchSize) / ((performance.now() - started) / 1000)).toFixed(0)} img/s`);
    });
  } finally {
    (bar as ReturnType<typeof progressBar> | null)?.stop();
  }
}

function checkResumable(info: CheckpointInfo, data: DataSet, epochs: number, path: string): void {
  if (info.data !== data.name) throw new CliError(`checkpoint '${path}' was trained on ${info.data}, not ${data.name}; pass --data ${info.data}`);
  if (info.epoch >= epochs) throw new CliError(`checkpoint '${path}' is at epoch ${info.epoch} already; pass --epochs above ${info.epoch} to go on`, ExitCode.usage);
}

/** loss.json (the whole curve so far) and loss.png, rewritten after every epoch. */
async function writeCurve(out: string, info: CheckpointInfo, backend: string): Promise<void> {
  const { history } = info;
  const series: Series[] = [];
  const steps = history.filter((h) => h.stepLosses?.length);
  if (steps.length) {
    series.push({
      name: 'loss per step',
      points: steps.flatMap((h) => h.stepLosses!.map((l, i, all) => [h.epoch - 1 + (i + 1) / all.length, l] as const)),
    });
  }
  series.push({ name: 'mean loss per epoch', points: history.filter((h) => h.loss !== null).map((h) => [h.epoch, h.loss!] as const) });
  series.push({ name: info.metricName, points: history.map((h) => [h.epoch, h.metric] as const), axis: 'right' });
  const png = lineChart(series, {
    title: `${info.model} on ${info.data}: batch ${info.batchSize}, Adam lr ${info.learningRate}, seed ${info.seed}, ${backend}`,
    xLabel: 'epoch',
    leftLabel: 'training loss',
    rightLabel: info.metricName,
    rightRange: [0, 1],
  });
  const json = {
    model: info.model, data: info.data, backend, batchSize: info.batchSize, learningRate: info.learningRate, seed: info.seed,
    metric: info.metricName, classes: info.classes, epochs: history,
  };
  await writeOutputFiles([[join(out, 'loss.json'), `${JSON.stringify(json, null, 2)}\n`], [join(out, 'loss.png'), png]]);
}

export function formatMetric(name: string, value: number): string {
  return name.includes('accuracy') ? `${(100 * value).toFixed(1)}%` : value.toFixed(3);
}
