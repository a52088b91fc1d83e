import * as tf from '@tensorflow/tfjs-core';
import { preprocess } from '@convkit/core';
import { className, classNames } from '../classes.js';
import { element } from '../format.js';
import { resizedPixels } from '../image.js';
import type { Ran, TaskView } from './types.js';

export interface Prediction {
  index: number;
  label: string;
  probability: number;
}

export interface Classified extends Ran {
  predictions: Prediction[];
  names: readonly string[] | null;
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

/** The image through the entry's registered preprocessing (`preprocess`), logits [1, numClasses] -> the top 5 with probabilities. */
export const classificationView: TaskView<Classified> = {
  async run(model, entry, image) {
    const x = preprocess(entry, resizedPixels(image, image.width, image.height));
    try {
      const output = model.call(x);
      try {
        if (!(output instanceof tf.Tensor) || output.rank !== 2) throw new Error(`${entry.name} should return logits [N, classes]; got ${describe(output)}`);
        // tf.topk on webgl reads small tensors back synchronously, stalling the page; one async read instead.
        const logits = (await output.data()) as Float32Array;
        const names = classNames(entry);
        const predictions = topK(logits.subarray(0, output.shape[1]!), 5).map(({ index, probability }) => ({ index, label: className(names, index), probability }));
        return { input: [x.shape[1], x.shape[2]], predictions, names };
      } finally {
        tf.dispose(output as tf.TensorContainer);
      }
    } finally {
      x.dispose();
    }
  },
  async render(result, container, _image, truth) {
    const list = element('ol');
    list.className = 'top5';
    for (const p of result.predictions) {
      const item = element('li');
      // Unrounded, for comparing runs (the threaded and single-threaded wasm binaries must agree).
      item.dataset.probability = String(p.probability);
      const bar = element('span', undefined, 'bar');
      bar.style.width = `${Math.max(1, p.probability * 100)}%`;
      item.append(element('span', p.label, 'label'), element('span', `${(p.probability * 100).toFixed(2)}%`, 'score'), bar);
      list.append(item);
    }
    const nodes: HTMLElement[] = [list];
    if (truth?.kind === 'label') {
      const top = result.predictions[0]!;
      const expected = className(result.names, truth.index);
      nodes.push(element('p', `The sample is ${expected}: ${top.index === truth.index ? 'the top class is right' : `the top class, ${top.label}, is wrong`}.`, 'truth'));
    }
    container.replaceChildren(...nodes);
  },
};

function describe(output: unknown): string {
  return output instanceof tf.Tensor ? `a tensor of shape [${output.shape.join(', ')}]` : typeof output;
}
