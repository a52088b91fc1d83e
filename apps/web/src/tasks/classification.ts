import * as tf from '@tensorflow/tfjs-core';
import type { ModelEntry } from '@convkit/core';
import imagenetClasses from '../assets/imagenet-classes.json';
import { element } from '../format.js';
import type { TaskView } from './index.js';

export interface Prediction {
  index: number;
  label: string;
  probability: number;
}

/** Class names for a model's outputs: ImageNet's for the 1000-way classifiers, indices otherwise. */
export function classLabel(entry: ModelEntry, index: number): string {
  return entry.numClasses === 1000 ? imagenetClasses[index]! : `class ${index}`;
}

/** Softmax over one row of logits and its k most probable classes, computed on the host. */
export function topK(logits: Float32Array, k: number): { index: number; probability: number }[] {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  const p = logits.map((v) => {
    const e = Math.exp(v - max);
    sum += e;
    return e;
  });
  return [...p.keys()]
    .sort((a, b) => p[b]! - p[a]! || a - b)
    .slice(0, k)
    .map((index) => ({ index, probability: p[index]! / sum }));
}

/** Logits [1, numClasses] -> the top 5 with probabilities. */
export const classificationView: TaskView<Prediction[]> = {
  async interpret(output, entry) {
    if (!(output instanceof tf.Tensor) || output.rank !== 2) throw new Error(`${entry.name} should return logits [N, classes]; got ${describe(output)}`);
    // tf.topk on webgl reads small tensors back synchronously, stalling the page; one async read instead.
    const logits = (await output.data()) as Float32Array;
    return topK(logits.subarray(0, output.shape[1]!), 5).map(({ index, probability }) => ({ index, label: classLabel(entry, index), probability }));
  },
  render(predictions, container) {
    const list = element('ol');
    list.className = 'top5';
    for (const p of predictions) {
      const item = element('li');
      const bar = element('span', undefined, 'bar');
      bar.style.width = `${Math.max(1, p.probability * 100)}%`;
      item.append(element('span', p.label, 'label'), element('span', `${(p.probability * 100).toFixed(2)}%`, 'score'), bar);
      list.append(item);
    }
    container.replaceChildren(list);
  },
};

function describe(output: unknown): string {
  return output instanceof tf.Tensor ? `a tensor of shape [${output.shape.join(', ')}]` : typeof output;
}
