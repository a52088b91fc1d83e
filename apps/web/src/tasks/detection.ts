import { preprocess } from '@convkit/core';
import { type Detections, LABEL_COLOURS, isDetector } from '@convkit/detection';
import { className, classNames } from '../classes.js';
import { fetchAsset } from '../fetch-asset.js';
import { element } from '../format.js';
import { displayScale, resizedPixels } from '../image.js';
import type { Ran, TaskView } from './types.js';

/** Detections at or below this score are neither drawn nor listed (drawDetections' default). */
const MIN_SCORE = 0.3;

export interface Detected extends Ran {
  /** Boxes [K, 4] (x1, y1, x2, y2) in the pixels of the picked image, best score first. */
  detections: Detections;
  names: readonly string[] | null;
}

/** The ground truth file of a detection sample (written by tools/weights/make-demo-weights.mjs). */
interface BoxTruth {
  classes: string[];
  objects: { box: [number, number, number, number]; label: number }[];
}

/**
 * Boxes: the image through the entry's registered preprocessing (`preprocess`: torchvision's ObjectDetection,
 * bytes to [0, 1]), then the model's own `detect` (the Detector surface of @convkit/detection): each model
 * resizes to its input (or, for R-CNN and the FPN, takes the image as it is) and returns boxes in the image's
 * pixels, read back asynchronously with NMS on the host.
 */
export const detectionView: TaskView<Detected> = {
  async run(model, entry, image) {
    if (!isDetector(model)) throw new Error(`${entry.name} is a ${model.typeName} without detect(); the demo runs detection models only`);
    const x = preprocess(entry, resizedPixels(image, image.width, image.height));
    let found: Detections;
    try {
      [found] = (await model.detect(x)) as [Detections];
    } finally {
      x.dispose();
    }
    // In the preprocessed image's pixels, which are the image's own unless the preprocessing resized.
    const [sy, sx] = [image.height / x.shape[1], image.width / x.shape[2]];
    const order = Array.from(found.scores.keys()).sort((a, b) => found.scores[b]! - found.scores[a]!);
    const detections = {
      boxes: Float32Array.from(order.flatMap((i) => [0, 1, 2, 3].map((k) => found.boxes[4 * i + k]! * (k % 2 === 0 ? sx : sy)))),
      scores: Float32Array.from(order, (i) => found.scores[i]!),
      labels: Int32Array.from(order, (i) => found.labels[i]!),
    };
    return { input: [x.shape[1], x.shape[2]], detections, names: classNames(entry) };
  },

  async render(result, container, image, truth) {
    const { boxes, scores, labels } = result.detections;
    const shown = Array.from(scores.keys()).filter((i) => scores[i]! > MIN_SCORE);
    const scale = displayScale(image.width, image.height);
    const canvas = element('canvas');
    canvas.id = 'result-boxes';
    canvas.width = Math.round(image.width * scale);
    canvas.height = Math.round(image.height * scale);
    canvas.dataset.scale = String(scale);
    canvas.setAttribute('aria-label', `the image with ${shown.length} detected boxes`);
    const context = canvas.getContext('2d')!;
    context.imageSmoothingEnabled = scale < 1;
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    context.lineWidth = 2;
    context.font = '12px system-ui, sans-serif';
    context.textBaseline = 'top';
    // Lowest score first, so that the best boxes end on top.
    for (const i of [...shown].reverse()) {
      // Whole pixels: a 2 px line on the pixel grid stays crisp, in exactly its label's colour.
      const [x1, y1, x2, y2] = Array.from(boxes.subarray(4 * i, 4 * i + 4), (v) => Math.round(v * scale)) as [number, number, number, number];
      const colour = `rgb(${LABEL_COLOURS[labels[i]! % LABEL_COLOURS.length]!.join(', ')})`;
      context.strokeStyle = colour;
      context.strokeRect(x1 + 1, y1 + 1, x2 - x1 - 2, y2 - y1 - 2);
      const tag = `${className(result.names, labels[i]!)} ${scores[i]!.toFixed(2)}`;
      const tagWidth = context.measureText(tag).width + 6;
      const tagY = y1 >= 16 ? y1 - 16 : y1;
      context.fillStyle = colour;
      context.fillRect(Math.min(x1, canvas.width - tagWidth), tagY, tagWidth, 16);
      context.fillStyle = 'black';
      context.fillText(tag, Math.min(x1, canvas.width - tagWidth) + 3, tagY + 2);
    }

    const table = element('table');
    table.id = 'result-detections';
    table.createTHead().append(row('th', ['#', 'Class', 'Score', 'Box x1, y1, x2, y2 (pixels)']));
    const body = table.createTBody();
    for (const [n, i] of shown.entries()) {
      const box = Array.from(boxes.subarray(4 * i, 4 * i + 4), (v) => v.toFixed(1)).join(', ');
      body.append(row('td', [String(n + 1), className(result.names, labels[i]!), scores[i]!.toFixed(3), box]));
    }
    const hidden = scores.length - shown.length;
    const note = element('p', `${shown.length} detection${shown.length === 1 ? '' : 's'} scoring above ${MIN_SCORE}` +
      (hidden ? ` (${hidden} below not shown).` : '.'), 'note');
    const wrap = element('div', undefined, 'table-wrap');
    wrap.append(table);
    const nodes: HTMLElement[] = [canvas, note, wrap];
    if (truth?.kind === 'boxes') nodes.push(element('p', await compareWithTruth(result, shown, truth.url), 'truth'));
    container.replaceChildren(...nodes);
  },
};

function row(cell: 'td' | 'th', values: string[]): HTMLTableRowElement {
  const tr = element('tr');
  tr.append(...values.map((v) => element(cell, v)));
  return tr;
}

/** Intersection over union of two (x1, y1, x2, y2) boxes. */
function iou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const w = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const h = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const union = (a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - w * h;
  return union > 0 ? (w * h) / union : 0;
}

/** How many ground-truth objects a shown detection of the right class overlaps by IoU >= 0.5, each detection used once, best first. */
async function compareWithTruth(result: Detected, shown: number[], url: string): Promise<string> {
  const truth = (await (await fetchAsset(url, "the detection sample's ground truth")).json()) as BoxTruth;
  if (result.names?.join() !== truth.classes.join()) {
    return `The sample's ground truth labels ${truth.classes.join(', ')}; this model's classes are others: not compared.`;
  }
  const { boxes, labels } = result.detections;
  const used = new Set<number>();
  let found = 0;
  for (const object of truth.objects) {
    const match = shown.find((i) => !used.has(i) && labels[i] === object.label && iou(boxes.subarray(4 * i, 4 * i + 4), object.box) >= 0.5);
    if (match === undefined) continue;
    used.add(match);
    found++;
  }
  const extra = shown.length - used.size;
  return `Against the sample's ground truth: ${found} of ${truth.objects.length} objects found (IoU ≥ 0.5, right class)` +
    `, ${extra} other detection${extra === 1 ? '' : 's'}.`;
}
