import * as tf from '@tensorflow/tfjs-core';

const f32 = Math.fround;

/** std::max and std::min as the C++ kernel uses them: the first argument unless the comparison says otherwise. */
const cmax = (a: number, b: number) => (a < b ? b : a);
const cmin = (a: number, b: number) => (b < a ? b : a);

/**
 * The order NMS visits boxes in: indices of the non-NaN scores by score, highest first, ties by index
 * (torchvision sorts with stable=True). NaN scores are dropped: torchvision's sort would put them first.
 */
function scoreOrder(scores: ArrayLike<number>, indices?: ArrayLike<number>): number[] {
  const order: number[] = [];
  const n = indices ? indices.length : scores.length;
  for (let i = 0; i < n; i++) {
    const index = indices ? indices[i]! : i;
    if (!Number.isNaN(scores[index]!)) order.push(index);
  }
  return order.sort((a, b) => scores[b]! - scores[a]! || a - b);
}

/**
 * Greedy NMS over the boxes in `order`, torchvision's CPU kernel step for step in float32: a box is
 * suppressed by a kept box when inter / (area_i + area_j - inter) > iouThreshold (strictly). Zero-area
 * boxes have IoU 0 / 0 = NaN with each other and never suppress or get suppressed.
 */
function greedyNms(boxes: Float32Array, order: number[], iouThreshold: number): number[] {
  const suppressed = new Uint8Array(boxes.length / 4);
  const area = (i: number) => f32(f32(boxes[4 * i + 2]! - boxes[4 * i]!) * f32(boxes[4 * i + 3]! - boxes[4 * i + 1]!));
  const keep: number[] = [];
  for (let a = 0; a < order.length; a++) {
    const i = order[a]!;
    if (suppressed[i]) continue;
    keep.push(i);
    const ix1 = boxes[4 * i]!, iy1 = boxes[4 * i + 1]!, ix2 = boxes[4 * i + 2]!, iy2 = boxes[4 * i + 3]!;
    const iarea = area(i);
    for (let b = a + 1; b < order.length; b++) {
      const j = order[b]!;
      if (suppressed[j]) continue;
      const w = cmax(0, f32(cmin(ix2, boxes[4 * j + 2]!) - cmax(ix1, boxes[4 * j]!)));
      const h = cmax(0, f32(cmin(iy2, boxes[4 * j + 3]!) - cmax(iy1, boxes[4 * j + 1]!)));
      const inter = f32(w * h);
      const iou = f32(inter / f32(f32(iarea + area(j)) - inter));
      if (iou > iouThreshold) suppressed[j] = 1;
    }
  }
  return keep;
}

function checkSizes(boxes: ArrayLike<number>, scores: ArrayLike<number>, idxs?: ArrayLike<number>): void {
  if (boxes.length !== 4 * scores.length || (idxs && idxs.length !== scores.length)) {
    throw new Error(
      `nms needs boxes [N, 4], scores [N]${idxs ? ' and idxs [N]' : ''}; got ${boxes.length / 4} boxes, ${scores.length} scores` +
        (idxs ? ` and ${idxs.length} idxs` : ''),
    );
  }
}

/**
 * Host-side NMS. boxes: N x 4 (x1, y1, x2, y2) row-major, scores: N -> kept indices, highest score first
 * (ties by index), exactly as torchvision.ops.nms. Boxes with a NaN score are dropped.
 */
export function nmsHost(boxes: ArrayLike<number>, scores: ArrayLike<number>, iouThreshold: number): Int32Array {
  checkSizes(boxes, scores);
  return Int32Array.from(greedyNms(Float32Array.from(boxes), scoreOrder(Float32Array.from(scores)), iouThreshold));
}

/**
 * Host-side NMS within each category `idxs[i]`: boxes of different categories never suppress each
 * other. Kept indices come highest score first, ties by index, as torchvision.ops.batched_nms returns
 * them for up to 1000 boxes (its coordinate-offset path; above that it switches to a per-class loop whose
 * final sort is not stable, so only the set is comparable there). Boxes with a NaN score are dropped.
 */
export function batchedNmsHost(boxes: ArrayLike<number>, scores: ArrayLike<number>, idxs: ArrayLike<number>, iouThreshold: number): Int32Array {
  checkSizes(boxes, scores, idxs);
  const data = Float32Array.from(boxes);
  const s = Float32Array.from(scores);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < s.length; i++) {
    const members = byClass.get(idxs[i]!);
    if (members) members.push(i);
    else byClass.set(idxs[i]!, [i]);
  }
  const keep: number[] = [];
  for (const members of byClass.values()) keep.push(...greedyNms(data, scoreOrder(s, members), iouThreshold));
  return Int32Array.from(keep.sort((a, b) => s[b]! - s[a]! || a - b));
}

/**
 * boxes: [N, 4] (x1, y1, x2, y2), scores: [N] -> int32 [K] indices of the kept boxes, highest score first,
 * exactly as torchvision.ops.nms (see `nmsHost`). Async: the greedy loop runs on host data.
 * tf.image.nonMaxSuppression is not used because it differs: it suppresses at IoU >= threshold, reorders
 * inverted corners, and gives zero-area boxes IoU 0 rather than NaN.
 */
export async function nms(boxes: tf.Tensor2D, scores: tf.Tensor1D, iouThreshold: number): Promise<tf.Tensor1D> {
  const [b, s] = await Promise.all([boxes.data(), scores.data()]);
  return tf.tensor1d(nmsHost(b, s, iouThreshold), 'int32');
}

/**
 * boxes: [N, 4], scores: [N], idxs: [N] category of each box -> int32 [K] indices kept by NMS within each
 * category, highest score first (see `batchedNmsHost`). Async: runs on host data.
 */
export async function batchedNms(boxes: tf.Tensor2D, scores: tf.Tensor1D, idxs: tf.Tensor1D, iouThreshold: number): Promise<tf.Tensor1D> {
  const [b, s, c] = await Promise.all([boxes.data(), scores.data(), idxs.data()]);
  return tf.tensor1d(batchedNmsHost(b, s, c, iouThreshold), 'int32');
}
