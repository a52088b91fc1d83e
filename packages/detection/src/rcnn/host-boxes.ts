/** Host box helpers for target assignment; boxes are row-major [N, 4] (x1, y1, x2, y2). */

/** [M, N] IoU of boxes a [M, 4] against b [N, 4], row-major; empty boxes overlap nothing (0, not NaN). */
export function iouMatrix(a: ArrayLike<number>, b: ArrayLike<number>): Float32Array {
  const m = a.length / 4, n = b.length / 4;
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    const areaA = (a[4 * i + 2]! - a[4 * i]!) * (a[4 * i + 3]! - a[4 * i + 1]!);
    for (let j = 0; j < n; j++) {
      const w = Math.max(0, Math.min(a[4 * i + 2]!, b[4 * j + 2]!) - Math.max(a[4 * i]!, b[4 * j]!));
      const h = Math.max(0, Math.min(a[4 * i + 3]!, b[4 * j + 3]!) - Math.max(a[4 * i + 1]!, b[4 * j + 1]!));
      const union = areaA + (b[4 * j + 2]! - b[4 * j]!) * (b[4 * j + 3]! - b[4 * j + 1]!) - w * h;
      out[i * n + j] = union > 0 ? (w * h) / union : 0;
    }
  }
  return out;
}

/**
 * Ground truth made safe for training: coordinates clipped to the image, and boxes that are empty after
 * clipping, hold NaN, or have a label outside 0 .. numClasses - 1 dropped.
 */
export function cleanTruth(boxes: ArrayLike<number>, labels: ArrayLike<number>, [height, width]: readonly [number, number], numClasses: number): { boxes: Float32Array; labels: Int32Array } {
  const keptBoxes: number[] = [], keptLabels: number[] = [];
  for (let k = 0; k < labels.length; k++) {
    const x1 = Math.min(Math.max(boxes[4 * k]!, 0), width), y1 = Math.min(Math.max(boxes[4 * k + 1]!, 0), height);
    const x2 = Math.min(Math.max(boxes[4 * k + 2]!, 0), width), y2 = Math.min(Math.max(boxes[4 * k + 3]!, 0), height);
    if (!(x2 > x1 && y2 > y1) || !(labels[k]! >= 0 && labels[k]! < numClasses)) continue;
    keptBoxes.push(x1, y1, x2, y2);
    keptLabels.push(labels[k]!);
  }
  return { boxes: Float32Array.from(keptBoxes), labels: Int32Array.from(keptLabels) };
}

/** Boxes clipped to the image, and the indices of those at least `minSize` wide and high with finite coordinates. */
export function clipAndFilter(boxes: Float32Array, [height, width]: readonly [number, number], minSize: number): number[] {
  const keep: number[] = [];
  for (let i = 0; i < boxes.length / 4; i++) {
    boxes[4 * i] = Math.min(Math.max(boxes[4 * i]!, 0), width);
    boxes[4 * i + 1] = Math.min(Math.max(boxes[4 * i + 1]!, 0), height);
    boxes[4 * i + 2] = Math.min(Math.max(boxes[4 * i + 2]!, 0), width);
    boxes[4 * i + 3] = Math.min(Math.max(boxes[4 * i + 3]!, 0), height);
    if (boxes[4 * i + 2]! - boxes[4 * i]! >= minSize && boxes[4 * i + 3]! - boxes[4 * i + 1]! >= minSize) keep.push(i);
  }
  return keep;
}
