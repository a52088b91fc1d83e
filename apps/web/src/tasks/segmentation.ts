import * as tf from '@tensorflow/tfjs-core';
import { preprocess } from '@convkit/core';
import { argmaxClassMap, colorizeMask, isSegmenter, meanIoU, pixelAccuracy, vocColormap } from '@convkit/segmentation';
import type { Truth } from '../bundled.js';
import { className, classNames } from '../classes.js';
import { fetchAsset } from '../fetch-asset.js';
import { element } from '../format.js';
import { displayScale, resizedPixels } from '../image.js';
import type { Ran, TaskView } from './types.js';

export interface Segmented extends Ran {
  /** [H * W] class per pixel of the input, row-major. */
  classMap: Int32Array;
  numClasses: number;
  names: readonly string[] | null;
}

const COLOURS = vocColormap();

/**
 * Per-pixel classes: the image through the entry's registered preprocessing (`preprocess`: fcn_resnet50's
 * shorter side to 520, ImageNet's or fcn_tiny's mean and std), logits [1, h, w, C] -> argmax on the device ->
 * one async read; the mask at the size the model saw. A model whose preprocessing keeps the image's size (an
 * FCN takes any) gets it scaled down, never up, to fit its published input side, which bounds its memory.
 */
export const segmentationView: TaskView<Segmented> = {
  async run(model, entry, image) {
    if (!isSegmenter(model)) throw new Error(`${entry.name} is a ${model.typeName} without segment(); the demo segments with segmentation models only`);
    const fit = entry.preprocessing?.resize === undefined ? Math.min(1, Math.max(entry.inputShape[0], entry.inputShape[1]) / Math.max(image.width, image.height)) : 1;
    const x = preprocess(entry, resizedPixels(image, Math.max(entry.minInputSize, Math.round(image.width * fit)), Math.max(entry.minInputSize, Math.round(image.height * fit))));
    const [, height, width] = x.shape;
    let logits: unknown;
    try {
      logits = tf.tidy(() => model.call(x) as tf.TensorContainer);
    } finally {
      x.dispose();
    }
    try {
      if (!(logits instanceof tf.Tensor) || logits.rank !== 4 || logits.shape[1] !== height || logits.shape[2] !== width) {
        throw new Error(`${entry.name} should return logits [1, ${height}, ${width}, classes] for a ${width}x${height} input; got ${describe(logits)}`);
      }
      const classes = argmaxClassMap(logits);
      try {
        const classMap = (await classes.data()) as Int32Array;
        return { input: [height, width], classMap, numClasses: logits.shape[3]!, names: classNames(entry) };
      } finally {
        classes.dispose();
      }
    } finally {
      tf.dispose(logits as tf.TensorContainer);
    }
  },

  async render(result, container, image, truth) {
    const [height, width] = result.input;
    const scale = displayScale(image.width, image.height);
    const [displayWidth, displayHeight] = [Math.round(image.width * scale), Math.round(image.height * scale)];
    const colours = colorizeMask(result.classMap, COLOURS);

    // The mask at the model's resolution, shown enlarged with square pixels: what the test reads back.
    const mask = element('canvas');
    mask.id = 'result-mask';
    mask.width = width;
    mask.height = height;
    mask.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(colours), width, height), 0, 0);
    mask.style.width = `${displayWidth}px`;
    mask.setAttribute('aria-label', `class mask, ${width}x${height}`);

    // Background stays transparent in the overlay, so the picture shows through where nothing was found.
    const layer = new OffscreenCanvas(width, height);
    const transparent = colours.slice();
    for (let i = 0; i < result.classMap.length; i++) if (result.classMap[i] === 0) transparent[i * 4 + 3] = 0;
    layer.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(transparent), width, height), 0, 0);
    const overlay = element('canvas');
    overlay.id = 'result-overlay';
    overlay.width = displayWidth;
    overlay.height = displayHeight;
    const context = overlay.getContext('2d')!;
    context.imageSmoothingEnabled = scale < 1;
    context.drawImage(image, 0, 0, displayWidth, displayHeight);
    context.imageSmoothingEnabled = false;
    context.globalAlpha = 0.6;
    context.drawImage(layer, 0, 0, displayWidth, displayHeight);
    overlay.setAttribute('aria-label', 'the image with the class mask blended over it');

    const counts = new Map<number, number>();
    for (const c of result.classMap) counts.set(c, (counts.get(c) ?? 0) + 1);
    const legend = element('ul');
    legend.className = 'legend';
    for (const [c, n] of [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])) {
      const swatch = element('span', undefined, 'swatch');
      swatch.style.background = `rgb(${COLOURS[c * 3]}, ${COLOURS[c * 3 + 1]}, ${COLOURS[c * 3 + 2]})`;
      const item = element('li');
      item.append(swatch, element('span', className(result.names, c), 'label'), element('span', `${((100 * n) / result.classMap.length).toFixed(1)}%`, 'score'));
      legend.append(item);
    }

    const figures = element('div', undefined, 'figures');
    figures.append(figure(overlay, 'Mask over the image'), figure(mask, `Class mask, ${width}x${height} as the model saw it`));
    const nodes: HTMLElement[] = [figures, legend];
    if (truth?.kind === 'mask') nodes.push(element('p', await compareWithTruth(result, truth), 'truth'));
    container.replaceChildren(...nodes);
  },
};

async function compareWithTruth(result: Segmented, truth: Extract<Truth, { kind: 'mask' }>): Promise<string> {
  if (result.names?.join() !== truth.classes.join()) {
    return `The sample's ground truth labels ${truth.classes.join(', ')}; this model's ${result.numClasses} classes are others: not compared.`;
  }
  const blob = await (await fetchAsset(truth.url, "the segmentation sample's ground-truth mask")).blob();
  // The label map's values are class indices: no colour management may touch them.
  const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const [height, width] = result.input;
  if (bitmap.width !== width || bitmap.height !== height) {
    bitmap.close();
    return `The sample's ground truth is ${bitmap.width}x${bitmap.height}, the prediction ${width}x${height}: not compared.`;
  }
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d')!;
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = context.getImageData(0, 0, width, height).data;
  const target = Int32Array.from({ length: width * height }, (_, i) => rgba[i * 4]!);
  const options = { numClasses: result.numClasses };
  const accuracy = pixelAccuracy(target, result.classMap, options);
  const iou = meanIoU(target, result.classMap, options);
  return `Against the sample's ground truth: pixel accuracy ${(accuracy * 100).toFixed(1)}%, mean IoU ${iou.toFixed(3)}.`;
}

function figure(content: HTMLElement, caption: string): HTMLElement {
  const f = element('figure');
  f.append(content, element('figcaption', caption));
  return f;
}

function describe(output: unknown): string {
  return output instanceof tf.Tensor ? `a tensor of shape [${output.shape.join(', ')}]` : typeof output;
}
