import { DataError } from '../errors.js';

/** One image's detections: boxes [K, 4] (x1, y1, x2, y2), scores [K], labels [K] in 0 .. classes - 1. */
export interface VocDetections {
  boxes: ArrayLike<number>;
  scores: ArrayLike<number>;
  labels: ArrayLike<number>;
}

/** One image's objects: boxes [M, 4] (x1, y1, x2, y2), labels [M]; `difficult` [M] objects neither count nor penalise. */
export interface VocGroundTruth {
  boxes: ArrayLike<number>;
  labels: ArrayLike<number>;
  difficult?: ArrayLike<number | boolean>;
}

export interface VocEvaluationOptions {
  numClasses: number;
  /** A detection matches when IoU > this, strictly (default 0.5). */
  iouThreshold?: number;
  /** VOC2007's 11-point interpolated AP instead of VOC2010+'s all-points area (default false). */
  use07Metric?: boolean;
  /**
   * Boxes hold the devkit's inclusive pixel indices (the XML's raw xmin..xmax), so a box is
   * x2 - x1 + 1 wide, as VOCevaldet.m and py-faster-rcnn's voc_eval measure it. Default false:
   * continuous coordinates, as VocDataset gives them (xmin - 1, ymin - 1, xmax, ymax), which yields
   * the devkit's very overlaps.
   */
  inclusivePixels?: boolean;
}

export interface VocEvaluation {
  /** Per class AP; NaN for a class without non-difficult objects. */
  ap: number[];
  /** The mean of the defined APs (NaN when none is). */
  map: number;
  /** Per class: [true positives, false positives, non-difficult objects]. */
  counts: [number, number, number][];
}

/**
 * py-faster-rcnn's `voc_ap`: with `use07Metric`, the mean over recall 0, 0.1, ..., 1 of the highest
 * precision at that recall or more (VOC2007); otherwise precision made monotone from the right and
 * summed over the recall steps (VOC2010 and later, the devkit's VOCap.m).
 */
export function vocAveragePrecision(recall: readonly number[], precision: readonly number[], use07Metric = false): number {
  if (use07Metric) {
    let ap = 0;
    for (let i = 0; i <= 10; i++) {
      const t = i / 10;
      let p = 0;
      recall.forEach((r, j) => {
        if (r >= t) p = Math.max(p, precision[j]!);
      });
      ap += p / 11;
    }
    return ap;
  }
  const r = [0, ...recall, 1];
  const p = [0, ...precision, 0];
  for (let i = p.length - 1; i > 0; i--) p[i - 1] = Math.max(p[i - 1]!, p[i]!);
  let ap = 0;
  for (let i = 0; i + 1 < r.length; i++) if (r[i + 1] !== r[i]) ap += (r[i + 1]! - r[i]!) * p[i + 1]!;
  return ap;
}

/**
 * Pascal VOC detection AP per class, as the devkit and py-faster-rcnn's `voc_eval` compute it: every
 * detection of the class over all images, highest score first (ties in input order, where numpy's
 * quicksort leaves them unspecified), is a true positive when its best-overlapping object of the class
 * in its image has IoU > threshold and was not already taken; a false positive otherwise; neither when
 * that object is difficult. The default is VOC2010+'s all-points AP.
 */
export function evaluateVoc(predictions: readonly VocDetections[], groundTruths: readonly VocGroundTruth[], options: VocEvaluationOptions): VocEvaluation {
  if (predictions.length !== groundTruths.length) {
    throw new DataError(`evaluateVoc needs one prediction per image, got ${predictions.length} predictions for ${groundTruths.length} images`);
  }
  const threshold = options.iouThreshold ?? 0.5;
  const one = options.inclusivePixels ? 1 : 0;
  const ap: number[] = [];
  const counts: [number, number, number][] = [];
  for (let c = 0; c < options.numClasses; c++) {
    let positives = 0;
    const taken = groundTruths.map((g) => new Uint8Array(g.labels.length));
    for (const g of groundTruths) for (let j = 0; j < g.labels.length; j++) if (g.labels[j] === c && !g.difficult?.[j]) positives++;
    const candidates: { image: number; index: number; score: number }[] = [];
    predictions.forEach((p, image) => {
      for (let i = 0; i < p.labels.length; i++) if (p.labels[i] === c) candidates.push({ image, index: i, score: p.scores[i]! });
    });
    candidates.sort((a, b) => b.score - a.score);
    const recall: number[] = [];
    const precision: number[] = [];
    let tp = 0, fp = 0;
    for (const { image, index } of candidates) {
      const g = groundTruths[image]!, b = predictions[image]!.boxes;
      const [x1, y1, x2, y2] = [b[4 * index]!, b[4 * index + 1]!, b[4 * index + 2]!, b[4 * index + 3]!];
      let best = -Infinity, match = -1;
      for (let j = 0; j < g.labels.length; j++) {
        if (g.labels[j] !== c) continue;
        const [gx1, gy1, gx2, gy2] = [g.boxes[4 * j]!, g.boxes[4 * j + 1]!, g.boxes[4 * j + 2]!, g.boxes[4 * j + 3]!];
        const iw = Math.max(Math.min(x2, gx2) - Math.max(x1, gx1) + one, 0);
        const ih = Math.max(Math.min(y2, gy2) - Math.max(y1, gy1) + one, 0);
        const inter = iw * ih;
        const union = (x2 - x1 + one) * (y2 - y1 + one) + (gx2 - gx1 + one) * (gy2 - gy1 + one) - inter;
        const overlap = inter / union;
        if (overlap > best) [best, match] = [overlap, j];
      }
      if (best > threshold) {
        if (!g.difficult?.[match]) {
          if (taken[image]![match]) fp++;
          else {
            tp++;
            taken[image]![match] = 1;
          }
        }
      } else fp++;
      recall.push(tp / positives);
      precision.push(tp / Math.max(tp + fp, Number.EPSILON));
    }
    counts.push([tp, fp, positives]);
    ap.push(positives > 0 ? vocAveragePrecision(recall, precision, options.use07Metric) : NaN);
  }
  const defined = ap.filter((a) => !Number.isNaN(a));
  return { ap, map: defined.length ? defined.reduce((s, a) => s + a, 0) / defined.length : NaN, counts };
}
