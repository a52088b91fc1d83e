/**
 * Segmentation metrics from a confusion matrix, as the FCN paper defines them (and torchvision's reference
 * scripts compute them): rows are true classes, columns predicted ones; pixels whose true label is
 * `ignoreIndex` (255 in PASCAL VOC: object borders) do not count.
 */
export interface MetricOptions {
  numClasses: number;
  /** A true label that is left out of every metric. Default 255, PASCAL VOC's. */
  ignoreIndex?: number;
}

/**
 * confusion[t * numClasses + p] = pixels of true class t predicted as p.
 * target, prediction: class maps of equal length (any shape, flattened), e.g. [N, H, W] int32.
 */
export function confusionMatrix(target: ArrayLike<number>, prediction: ArrayLike<number>, options: MetricOptions): Float64Array {
  const { numClasses } = options;
  const ignore = options.ignoreIndex ?? 255;
  if (target.length !== prediction.length) throw new Error(`target has ${target.length} pixels, prediction ${prediction.length}`);
  const matrix = new Float64Array(numClasses * numClasses);
  for (let i = 0; i < target.length; i++) {
    const t = target[i]!;
    if (t === ignore) continue;
    const p = prediction[i]!;
    if (!(t >= 0 && t < numClasses && Number.isInteger(t))) throw new Error(`target pixel ${i} has label ${t}, outside 0..${numClasses - 1} and not the ignore index ${ignore}`);
    if (!(p >= 0 && p < numClasses && Number.isInteger(p))) throw new Error(`prediction pixel ${i} has class ${p}, outside 0..${numClasses - 1}`);
    matrix[t * numClasses + p]!++;
  }
  return matrix;
}

/** Correct pixels over counted pixels (the paper's "pixel accuracy"); NaN when no pixel counts. */
export function pixelAccuracy(target: ArrayLike<number>, prediction: ArrayLike<number>, options: MetricOptions): number {
  const m = confusionMatrix(target, prediction, options);
  let correct = 0;
  let total = 0;
  for (let t = 0; t < options.numClasses; t++) {
    for (let p = 0; p < options.numClasses; p++) total += m[t * options.numClasses + p]!;
    correct += m[t * options.numClasses + t]!;
  }
  return correct / total;
}

/**
 * IoU per class: true positives / (true + predicted - true positives). NaN for a class absent from both
 * target and prediction (it has no IoU; `meanIoU` skips it, as nanmean in torchvision's references).
 */
export function perClassIoU(target: ArrayLike<number>, prediction: ArrayLike<number>, options: MetricOptions): number[] {
  const m = confusionMatrix(target, prediction, options);
  const n = options.numClasses;
  return Array.from({ length: n }, (_, c) => {
    let row = 0;
    let column = 0;
    for (let k = 0; k < n; k++) {
      row += m[c * n + k]!;
      column += m[k * n + c]!;
    }
    const tp = m[c * n + c]!;
    const union = row + column - tp;
    return union === 0 ? NaN : tp / union;
  });
}

/** Mean of the per-class IoUs over the classes present in the target or the prediction. */
export function meanIoU(target: ArrayLike<number>, prediction: ArrayLike<number>, options: MetricOptions): number {
  const ious = perClassIoU(target, prediction, options).filter((v) => !Number.isNaN(v));
  return ious.length ? ious.reduce((a, b) => a + b, 0) / ious.length : NaN;
}
