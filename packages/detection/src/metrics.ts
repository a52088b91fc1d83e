/** One image's detections: boxes [K, 4] (x1, y1, x2, y2), scores [K], labels [K] in 0 .. classes - 1. */
export interface Detections {
  boxes: Float32Array;
  scores: Float32Array;
  labels: Int32Array;
}

/** One image's ground truth: boxes [M, 4], labels [M]; `difficult` [M] marks boxes that neither count nor penalise. */
export interface GroundTruth {
  boxes: ArrayLike<number>;
  labels: ArrayLike<number>;
  difficult?: ArrayLike<boolean | number>;
}

export interface EvaluationOptions {
  numClasses: number;
  /** A detection matches when IoU > iouThreshold, strictly, as VOC's `ovmax > ovthresh` (default 0.5). */
  iouThreshold?: number;
}

export interface Evaluation {
  /** Per class: VOC average precision, NaN for a class without (non-difficult) ground truth. */
  ap: number[];
  /** Mean of the per-class APs that are defined; NaN when no class has ground truth. */
  map: number;
  /** Per class: [true positives, false positives, ground truths] at the lowest score. */
  counts: [number, number, number][];
}

/**
 * VOC2010+ average precision from a precision/recall curve (detections sorted by score): precision is
 * made monotone from the right, then summed over the points where recall changes (all-point
 * interpolation, the `voc_ap(use_07_metric=False)` of the VOC devkit and py-faster-rcnn).
 */
export function averagePrecision(recall: ArrayLike<number>, precision: ArrayLike<number>): number {
  const r = [0, ...Array.from(recall), 1];
  const p = [0, ...Array.from(precision), 0];
  for (let i = p.length - 2; i >= 0; i--) p[i] = Math.max(p[i]!, p[i + 1]!);
  let ap = 0;
  for (let i = 1; i < r.length; i++) if (r[i] !== r[i - 1]) ap += (r[i]! - r[i - 1]!) * p[i]!;
  return ap;
}

function iou(boxes: ArrayLike<number>, i: number, gt: ArrayLike<number>, j: number): number {
  const w = Math.max(0, Math.min(boxes[4 * i + 2]!, gt[4 * j + 2]!) - Math.max(boxes[4 * i]!, gt[4 * j]!));
  const h = Math.max(0, Math.min(boxes[4 * i + 3]!, gt[4 * j + 3]!) - Math.max(boxes[4 * i + 1]!, gt[4 * j + 1]!));
  const inter = w * h;
  const union = (boxes[4 * i + 2]! - boxes[4 * i]!) * (boxes[4 * i + 3]! - boxes[4 * i + 1]!) + (gt[4 * j + 2]! - gt[4 * j]!) * (gt[4 * j + 3]! - gt[4 * j + 1]!) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * VOC-style mean average precision. Per class, every detection of that class over all images, highest
 * score first (ties in input order: image, then detection), is a true positive when its best-overlapping
 * ground truth of the class in its image has IoU > threshold and was not already taken by a higher-scoring
 * detection; a detection whose best match is 'difficult' counts as neither. IoU is over continuous
 * coordinates (no VOC "+1" pixel convention).
 *
 * Defined behaviour on bad input: detections with a NaN score or NaN coordinates are dropped; zero-area
 * boxes overlap nothing; labels outside 0 .. numClasses - 1 are ignored; images with no detections or no
 * ground truth are fine. `predictions` and `groundTruths` must have one entry per image.
 */
export function evaluateDetections(predictions: readonly Detections[], groundTruths: readonly GroundTruth[], options: EvaluationOptions): Evaluation {
  if (predictions.length !== groundTruths.length) {
    throw new Error(`evaluateDetections needs one prediction per image, got ${predictions.length} predictions for ${groundTruths.length} images`);
  }
  const threshold = options.iouThreshold ?? 0.5;
  const ap: number[] = [];
  const counts: [number, number, number][] = [];
  for (let c = 0; c < options.numClasses; c++) {
    let positives = 0;
    const taken = groundTruths.map((g) => new Uint8Array(g.labels.length));
    for (const g of groundTruths) {
      for (let j = 0; j < g.labels.length; j++) if (g.labels[j] === c && !g.difficult?.[j]) positives++;
    }
    const candidates: { image: number; index: number; score: number }[] = [];
    predictions.forEach((p, image) => {
      for (let i = 0; i < p.labels.length; i++) {
        const box = p.boxes.subarray(4 * i, 4 * i + 4);
        if (p.labels[i] !== c || Number.isNaN(p.scores[i]!) || box.some(Number.isNaN)) continue;
        candidates.push({ image, index: i, score: p.scores[i]! });
      }
    });
    candidates.sort((a, b) => b.score - a.score);
    const recall: number[] = [];
    const precision: number[] = [];
    let tp = 0, fp = 0;
    for (const { image, index } of candidates) {
      const g = groundTruths[image]!;
      let best = -Infinity, match = -1;
      for (let j = 0; j < g.labels.length; j++) {
        if (g.labels[j] !== c) continue;
        const overlap = iou(predictions[image]!.boxes, index, g.boxes, j);
        if (overlap > best) [best, match] = [overlap, j];
      }
      if (best > threshold) {
        if (g.difficult?.[match]) continue;
        if (taken[image]![match]) fp++;
        else {
          tp++;
          taken[image]![match] = 1;
        }
      } else {
        fp++;
      }
      recall.push(positives > 0 ? tp / positives : 0);
      precision.push(tp / (tp + fp));
    }
    counts.push([tp, fp, positives]);
    ap.push(positives > 0 ? averagePrecision(recall, precision) : NaN);
  }
  const defined = ap.filter((a) => !Number.isNaN(a));
  return { ap, map: defined.length ? defined.reduce((s, a) => s + a, 0) / defined.length : NaN, counts };
}
