import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from './module.js';
import type { Preprocessing } from './preprocessing/preprocess.js';

export type Task = 'classification' | 'segmentation' | 'detection';

/** Published figures a model is held against (torchvision metadata or the paper). */
export interface ModelReference {
  params?: number;
  /** Giga multiply-accumulates at `inputShape`, conv and linear layers only. */
  gmacs?: number;
  source: string;
}

export interface CreateModelOptions {
  numClasses?: number;
  /** Input channels, where the builder takes them (lenet5, cifar_resnet*); the others take `inputShape[2]`. */
  inChannels?: number;
  [option: string]: unknown;
}

/** One entry of the model registry: every model package registers its builders here on import. */
export interface ModelEntry {
  /** torchvision's builder name where there is one: 'resnet50', 'vgg16_bn'. */
  name: string;
  task: Task;
  family: string;
  description: string;
  /** The input the model is published at: [H, W, C]. */
  inputShape: [number, number, number];
  /** The smallest square input side the model accepts. */
  minInputSize: number;
  numClasses: number;
  reference?: ModelReference;
  /** How an image becomes this model's input at evaluation, as torchvision's `weights.transforms()`. */
  preprocessing?: Preprocessing;
  /**
   * The names of the `numClasses` classes by output index, as torchvision's `weights.meta['categories']`:
   * the data set the published or bundled weights were trained on.
   */
  categories?: readonly string[];
  create(options?: CreateModelOptions): Module<tf.Tensor, unknown>;
}

const models = new Map<string, ModelEntry>();
/** The entry each model was made from, so that `fuseForInference` can find an input size for it. */
const entryOfModel = new WeakMap<Module<any, any>, ModelEntry>();

export function registerModel(entry: ModelEntry): void {
  if (models.has(entry.name)) throw new Error(`model '${entry.name}' is registered twice`);
  if (entry.categories && entry.categories.length !== entry.numClasses) {
    throw new Error(`model '${entry.name}' has ${entry.numClasses} classes but names ${entry.categories.length} categories`);
  }
  const registered: ModelEntry = {
    ...entry,
    create: (options) => {
      const model = entry.create(options);
      entryOfModel.set(model, registered);
      return model;
    },
  };
  models.set(entry.name, registered);
}

/** The registry entry `model` was made from (by `createModel` or an entry's `create`), if any. */
export function modelEntryOf(model: Module<any, any>): ModelEntry | undefined {
  return entryOfModel.get(model);
}

export function listModels(filter: { task?: Task; family?: string } = {}): ModelEntry[] {
  return [...models.values()].filter((m) => (!filter.task || m.task === filter.task) && (!filter.family || m.family === filter.family));
}

export function getModelEntry(name: string): ModelEntry {
  const entry = models.get(name);
  if (!entry) {
    const known = [...models.keys()];
    throw new Error(
      `unknown model '${name}'; ${known.length ? `registered: ${known.join(', ')}` : 'no model is registered (import @convkit/classifiers or another model package)'}`,
    );
  }
  return entry;
}

export function createModel(name: string, options?: CreateModelOptions): Module<tf.Tensor, unknown> {
  return getModelEntry(name).create(options);
}
