import * as tf from '@tensorflow/tfjs-core';
import { type Module, type ModelEntry, type TrainSettings, crossEntropy, seededRandom, shuffledIndices, trainStep } from '@convkit/core';

export type { TrainSettings } from '@convkit/core';

export interface EpochResult {
  /** Mean training loss over the epoch's steps. */
  loss: number;
  /** The loss of every step, where the training helper reports steps. */
  stepLosses?: number[];
}

/** One data set bound to one model: trains an epoch at a time and scores the model on held-out data. */
export interface Trainer {
  /** The held-out metric, e.g. 'test accuracy'; its values lie in [0, 1]. */
  readonly metricName: string;
  /**
   * Trains epoch `epoch` (1-based) with the run's optimizer, whose state carries from epoch to epoch,
   * calling `onStep(done, total, meanLoss)` after each step.
   */
  trainEpoch(epoch: number, optimizer: tf.AdamOptimizer, onStep: (done: number, total: number, meanLoss: number) => void): Promise<EpochResult>;
  evaluate(): Promise<number>;
  dispose(): void;
}

export interface DataSet {
  /** What `--data` named: a bundled set's name, or the path given. */
  name: string;
  /** The data set in checkpoint file names, `<model>-<fileStem>-epoch<n>.safetensors`; default `name`. */
  fileStem?: string;
  /** One line for --help and errors. */
  description: string;
  /** Class names by label; the model is built for this many classes. */
  classes: readonly string[];
  task: ModelEntry['task'];
  /** How many training images it has: the largest batch size an epoch can take. */
  trainCount: number;
  /** The models it trains, for error messages. */
  models(): string[];
  /** Why the model cannot train on it, or null when it can. */
  rejects(entry: ModelEntry): string | null;
  defaults(entry: ModelEntry): { batchSize: number; learningRate: number };
  /** Reproducible initial weights, the same on every machine for the same seed. */
  initialise(model: Module<any, any>, seed: number): void;
  prepare(model: Module<any, any>, entry: ModelEntry, settings: TrainSettings): Promise<Trainer>;
}

/**
 * The batch-order seed of one epoch: with the optimizer's state saved beside each checkpoint, a run
 * resumed from epoch k's checkpoint repeats the uninterrupted run exactly.
 */
export function epochSeed(seed: number, epoch: number): number {
  return (Math.imul(seed + 1, 0x9e3779b1) + epoch) >>> 0;
}

/**
 * Lets Node's event loop turn, so that a SIGINT or SIGTERM handler can run: a training loop whose awaits
 * all resolve as microtasks (tfjs-wasm's data() does) would otherwise never let it, and the signal would
 * wait for the end of the run.
 */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The batch order of one epoch: a seeded shuffle of 0 .. count - 1. */
export const shuffledOrder = (count: number, seed: number) => shuffledIndices(count, seededRandom(seed));

export const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * One epoch of cross-entropy training over seeded mini-batches, for classifiers and segmenters alike:
 * images [N, H, W, C], labels [N] or [N, H * W] int32; the model's logits are flattened to [-1, classes]
 * against the flattened labels.
 */
export async function crossEntropyEpoch(
  model: Module<any, any>, images: tf.Tensor, labels: tf.Tensor, classes: number, settings: TrainSettings, epoch: number,
  optimizer: tf.Optimizer, onStep: (done: number, total: number, meanLoss: number) => void,
): Promise<EpochResult> {
  model.train();
  const count = images.shape[0]!;
  const order = shuffledOrder(count, epochSeed(settings.seed, epoch));
  const steps = Math.floor(count / settings.batchSize);
  const stepLosses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const index = tf.tensor1d(order.slice(step * settings.batchSize, (step + 1) * settings.batchSize), 'int32');
    const x = tf.gather(images, index);
    const y = tf.tidy(() => tf.reshape(tf.gather(labels, index), [-1]));
    stepLosses.push(await trainStep(model, optimizer, () => crossEntropy(tf.reshape(model.call(x) as tf.Tensor, [-1, classes]) as tf.Tensor2D, y as tf.Tensor1D)));
    tf.dispose([index, x, y]);
    onStep(step + 1, steps, mean(stepLosses));
    await yieldToEventLoop();
  }
  return { loss: mean(stepLosses), stepLosses };
}
