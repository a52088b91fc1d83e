import { DataError } from '../errors.js';

/** A ground-truth object as in COCO's instances_*.json: bbox is [x, y, width, height] in pixels. */
export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  bbox: [number, number, number, number];
  /** The object's area (COCO stores the segmentation's area, not the box's); it picks small/medium/large. Without it, width x height. */
  area?: number;
  iscrowd?: number;
}

/** The parts of an instances_*.json that evaluation reads. */
export interface CocoGroundTruth {
  images: { id: number }[];
  categories: { id: number }[];
  annotations: CocoAnnotation[];
}

/** One detection as in a COCO results file: bbox [x, y, width, height], any score. */
export interface CocoDetection {
  image_id: number;
  category_id: number;
  bbox: [number, number, number, number];
  score: number;
}

/** COCO's summary: the 12 numbers `COCOeval.summarize()` prints, -1 where nothing could be measured. */
export interface CocoSummary {
  /** AP at IoU .50:.05:.95, all areas, 100 detections per image. */
  ap: number;
  ap50: number;
  ap75: number;
  apSmall: number;
  apMedium: number;
  apLarge: number;
  ar1: number;
  ar10: number;
  ar100: number;
  arSmall: number;
  arMedium: number;
  arLarge: number;
  /** The 12 in summarize()'s order (COCOeval.stats). */
  stats: number[];
  /** Per category (sorted category ids' order): AP at .50:.95, all areas, 100 detections; -1 without ground truth. */
  perCategoryAp: number[];
  /** The sorted category ids that perCategoryAp follows. */
  categoryIds: number[];
  /** [T=10, R=101, K, A=4, M=3] as COCOeval.eval['precision'], row-major; -1 where a category has no ground truth. */
  precision: Float64Array;
  /** [T=10, K, A=4, M=3] as COCOeval.eval['recall']. */
  recall: Float64Array;
}

/** numpy.linspace(start, stop, num): i * step + start, the last value exactly stop. */
function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => (i === num - 1 ? stop : i * step + start));
}

/** COCOeval's Params for iouType 'bbox'. */
const IOU_THRESHOLDS = linspace(0.5, 0.95, Math.round((0.95 - 0.5) / 0.05) + 1);
const RECALL_THRESHOLDS = linspace(0, 1, Math.round(1 / 0.01) + 1);
const MAX_DETS = [1, 10, 100];
const AREA_RANGES: [number, number][] = [[0, 1e5 ** 2], [0, 32 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e5 ** 2]];
/** numpy.spacing(1): pycocotools adds it to tp + fp so that no division is by zero. */
const EPS = 2.220446049250313e-16;

interface Gt {
  id: number;
  box: number[];
  area: number;
  crowd: boolean;
}
interface Dt {
  id: number;
  box: number[];
  area: number;
  score: number;
}

/** maskApi.c's bbIou: IoU of [x, y, w, h] boxes in doubles; against a crowd region the union is the detection's own area. */
function boxIou(d: number[], g: number[], crowd: boolean): number {
  const w = Math.min(d[2]! + d[0]!, g[2]! + g[0]!) - Math.max(d[0]!, g[0]!);
  if (w <= 0) return 0;
  const h = Math.min(d[3]! + d[1]!, g[3]! + g[1]!) - Math.max(d[1]!, g[1]!);
  if (h <= 0) return 0;
  const i = w * h;
  const da = d[2]! * d[3]!;
  return i / (crowd ? da : da + g[2]! * g[3]! - i);
}

/** Stable sort of indices by key ascending, as numpy's argsort(kind='mergesort'). */
function argsortStable(keys: number[]): number[] {
  return keys.map((_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
}

interface ImageEval {
  dtScores: number[];
  /** [T][D]: whether detection d matched at threshold t. */
  dtMatched: Uint8Array[];
  dtIgnore: Uint8Array[];
  gtIgnore: Uint8Array;
}

/** COCOeval.evaluateImg for one image, category and area range. */
function evaluateImage(gts: Gt[], dts: Dt[], ious: number[][], range: [number, number], maxDet: number): ImageEval | null {
  if (gts.length === 0 && dts.length === 0) return null;
  const ignore = gts.map((g) => (g.crowd || g.area < range[0] || g.area > range[1] ? 1 : 0));
  const gtOrder = argsortStable(ignore);
  const gt = gtOrder.map((i) => gts[i]!);
  const gtIgnore = Uint8Array.from(gtOrder, (i) => ignore[i]!);
  const dt = dts.slice(0, maxDet);
  const T = IOU_THRESHOLDS.length;
  const gtMatched = Array.from({ length: T }, () => new Uint8Array(gt.length));
  const dtMatched = Array.from({ length: T }, () => new Uint8Array(dt.length));
  const dtIgnore = Array.from({ length: T }, () => new Uint8Array(dt.length));
  if (ious.length > 0) {
    IOU_THRESHOLDS.forEach((t, ti) => {
      dt.forEach((_, di) => {
        let best = Math.min(t, 1 - 1e-10);
        let m = -1;
        for (let gi = 0; gi < gt.length; gi++) {
          if (gtMatched[ti]![gi] && !gt[gi]!.crowd) continue;
          // Once matched to a regular object, stop at the ignored ones (sorted last).
          if (m > -1 && gtIgnore[m] === 0 && gtIgnore[gi] === 1) break;
          const iou = ious[di]![gtOrder[gi]!]!;
          if (iou < best) continue;
          best = iou;
          m = gi;
        }
        if (m === -1) return;
        dtIgnore[ti]![di] = gtIgnore[m]!;
        dtMatched[ti]![di] = 1;
        gtMatched[ti]![m] = 1;
      });
    });
  }
  // Unmatched detections outside the area range are ignored, not counted as false positives.
  dt.forEach((d, di) => {
    if (d.area < range[0] || d.area > range[1]) for (let ti = 0; ti < T; ti++) if (!dtMatched[ti]![di]) dtIgnore[ti]![di] = 1;
  });
  return { dtScores: dt.map((d) => d.score), dtMatched, dtIgnore, gtIgnore };
}

function checkBox(bbox: unknown, what: string): void {
  if (!Array.isArray(bbox) || bbox.length !== 4 || bbox.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw new DataError(`${what} has bbox ${JSON.stringify(bbox)}; COCO boxes are [x, y, width, height] of finite numbers`);
  }
}

/**
 * COCO bounding-box evaluation exactly as pycocotools' COCOeval (iouType 'bbox') computes it:
 * IoU thresholds .50:.05:.95, 101 recall points, at most 1, 10 and 100 detections per image (highest
 * scores first), area ranges all / small (< 32²) / medium / large (> 96²) by the annotation's `area`,
 * crowd regions (iscrowd) as ignored objects that any number of detections may match with the
 * detection's own area as the union. Detections are taken as `COCO.loadRes` takes them (area = w * h,
 * ids in input order); those of categories without ground truth are dropped, as pycocotools drops
 * them. One deliberate difference: pycocotools records a match by the object's id, so an annotation
 * with id 0 would count as unmatched; here a match is a match.
 */
export function evaluateCoco(groundTruth: CocoGroundTruth, detections: readonly CocoDetection[]): CocoSummary {
  const imageIds = [...new Set(groundTruth.images.map((i) => i.id))].sort((a, b) => a - b);
  const categoryIds = [...new Set(groundTruth.categories.map((c) => c.id))].sort((a, b) => a - b);
  const images = new Set(imageIds);
  const categories = new Set(categoryIds);
  const key = (image: number, category: number) => `${image}:${category}`;
  const gts = new Map<string, Gt[]>();
  const dts = new Map<string, Dt[]>();
  groundTruth.annotations.forEach((a, i) => {
    checkBox(a.bbox, `annotation ${a.id ?? i}`);
    if (!images.has(a.image_id) || !categories.has(a.category_id)) return;
    const k = key(a.image_id, a.category_id);
    if (!gts.has(k)) gts.set(k, []);
    gts.get(k)!.push({ id: a.id, box: a.bbox, area: a.area ?? a.bbox[2] * a.bbox[3], crowd: Boolean(a.iscrowd) });
  });
  detections.forEach((d, i) => {
    checkBox(d.bbox, `detection ${i}`);
    if (!images.has(d.image_id)) throw new DataError(`detection ${i} is for image ${d.image_id}, which the ground truth does not have; evaluate detections of its images only`);
    if (typeof d.score !== 'number' || Number.isNaN(d.score)) throw new DataError(`detection ${i} has score ${d.score}; scores must be numbers`);
    if (!categories.has(d.category_id)) return;
    const k = key(d.image_id, d.category_id);
    if (!dts.has(k)) dts.set(k, []);
    dts.get(k)!.push({ id: i + 1, box: d.bbox, area: d.bbox[2] * d.bbox[3], score: d.score });
  });
  const maxDet = MAX_DETS.at(-1)!;
  // computeIoU: detections by score (stable), the first 100, against the objects in file order.
  const sortedDts = new Map<string, Dt[]>();
  const ious = new Map<string, number[][]>();
  for (const image of imageIds) {
    for (const category of categoryIds) {
      const k = key(image, category);
      const g = gts.get(k) ?? [];
      const all = dts.get(k) ?? [];
      const d = argsortStable(all.map((x) => -x.score)).map((i) => all[i]!).slice(0, maxDet);
      sortedDts.set(k, d);
      ious.set(k, g.length === 0 || d.length === 0 ? [] : d.map((x) => g.map((y) => boxIou(x.box, y.box, y.crowd))));
    }
  }
  const T = IOU_THRESHOLDS.length, R = RECALL_THRESHOLDS.length, K = categoryIds.length, A = AREA_RANGES.length, M = MAX_DETS.length;
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  categoryIds.forEach((category, k) => {
    AREA_RANGES.forEach((range, a) => {
      const evals = imageIds
        .map((image) => {
          const kk = key(image, category);
          return evaluateImage(gts.get(kk) ?? [], sortedDts.get(kk)!, ious.get(kk)!, range, maxDet);
        })
        .filter((e): e is ImageEval => e !== null);
      if (evals.length === 0) return;
      MAX_DETS.forEach((maxDets, m) => {
        const scores = evals.flatMap((e) => e.dtScores.slice(0, maxDets));
        const order = argsortStable(scores.map((s) => -s));
        let positives = 0;
        for (const e of evals) for (const ig of e.gtIgnore) if (ig === 0) positives++;
        if (positives === 0) return;
        for (let t = 0; t < T; t++) {
          const matched = evals.flatMap((e) => Array.from(e.dtMatched[t]!.subarray(0, maxDets)));
          const ignored = evals.flatMap((e) => Array.from(e.dtIgnore[t]!.subarray(0, maxDets)));
          const rc: number[] = [];
          const pr: number[] = [];
          let tp = 0, fp = 0;
          for (const i of order) {
            if (!ignored[i]) {
              if (matched[i]) tp++;
              else fp++;
            }
            rc.push(tp / positives);
            pr.push(tp / (fp + tp + EPS));
          }
          const nd = rc.length;
          recall[((t * K + k) * A + a) * M + m] = nd ? rc[nd - 1]! : 0;
          for (let i = nd - 1; i > 0; i--) if (pr[i]! > pr[i - 1]!) pr[i - 1] = pr[i]!;
          // searchsorted(rc, recThrs, 'left'); thresholds past the last recall keep precision 0.
          let pi = 0;
          for (let r = 0; r < R; r++) {
            while (pi < nd && rc[pi]! < RECALL_THRESHOLDS[r]!) pi++;
            precision[(((t * R + r) * K + k) * A + a) * M + m] = pi < nd ? pr[pi]! : 0;
          }
        }
      });
    });
  });
  const mean = (values: number[]) => {
    const valid = values.filter((v) => v > -1);
    return valid.length ? valid.reduce((s, v) => s + v, 0) / valid.length : -1;
  };
  const thresholdIndex = (iou: number | undefined) => (iou === undefined ? IOU_THRESHOLDS.map((_, i) => i) : IOU_THRESHOLDS.flatMap((t, i) => (t === iou ? [i] : [])));
  const ap = (iou: number | undefined, a: number, m: number, ks = categoryIds.map((_, i) => i)) => {
    const values: number[] = [];
    for (const t of thresholdIndex(iou)) for (let r = 0; r < R; r++) for (const k of ks) values.push(precision[(((t * R + r) * K + k) * A + a) * M + m]!);
    return mean(values);
  };
  const ar = (a: number, m: number) => {
    const values: number[] = [];
    for (const t of thresholdIndex(undefined)) for (let k = 0; k < K; k++) values.push(recall[((t * K + k) * A + a) * M + m]!);
    return mean(values);
  };
  const stats = [ap(undefined, 0, 2), ap(0.5, 0, 2), ap(0.75, 0, 2), ap(undefined, 1, 2), ap(undefined, 2, 2), ap(undefined, 3, 2), ar(0, 0), ar(0, 1), ar(0, 2), ar(1, 2), ar(2, 2), ar(3, 2)];
  const [apAll, ap50, ap75, apSmall, apMedium, apLarge, ar1, ar10, ar100, arSmall, arMedium, arLarge] = stats as [number, number, number, number, number, number, number, number, number, number, number, number];
  return {
    ap: apAll, ap50, ap75, apSmall, apMedium, apLarge, ar1, ar10, ar100, arSmall, arMedium, arLarge, stats,
    perCategoryAp: categoryIds.map((_, k) => ap(undefined, 0, 2, [k])),
    categoryIds, precision, recall,
  };
}
