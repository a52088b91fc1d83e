import * as tf from '@tensorflow/tfjs-core';

/**
 * Box layouts, as torchvision.ops.box_convert names them:
 * 'xyxy' (x1, y1, x2, y2), 'xywh' (x1, y1, width, height), 'cxcywh' (centre x, centre y, width, height).
 */
export type BoxFormat = 'xyxy' | 'xywh' | 'cxcywh';

const FORMATS: readonly BoxFormat[] = ['xyxy', 'xywh', 'cxcywh'];

function columns(boxes: tf.Tensor2D): [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D] {
  if (boxes.rank !== 2 || boxes.shape[1] !== 4) {
    throw new Error(`boxes must be [N, 4], got [${boxes.shape.join(', ')}]`);
  }
  return tf.unstack(boxes, 1) as [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
}

/**
 * boxes: [N, 4] (x1, y1, x2, y2) -> [N] areas (x2 - x1) * (y2 - y1), as torchvision.ops.box_area: an
 * inverted box (x2 < x1 or y2 < y1) has a negative or zero area; nothing is clamped.
 */
export function boxArea(boxes: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const [x1, y1, x2, y2] = columns(boxes);
    return tf.mul(tf.sub(x2, x1), tf.sub(y2, y1));
  });
}

/**
 * boxes1: [N, 4], boxes2: [M, 4] (x1, y1, x2, y2) -> [N, M] intersection over union, as
 * torchvision.ops.box_iou, in the same float32 operations: intersection widths and heights are clamped
 * at 0, union = area1 + area2 - intersection. Two zero-area boxes give 0 / 0 = NaN, as in torchvision.
 */
export function boxIou(boxes1: tf.Tensor2D, boxes2: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const area1 = boxArea(boxes1);
    const area2 = boxArea(boxes2);
    const a = tf.expandDims(boxes1, 1) as tf.Tensor3D; // [N, 1, 4]
    const b = tf.expandDims(boxes2, 0) as tf.Tensor3D; // [1, M, 4]
    const lt = tf.maximum(tf.slice(a, [0, 0, 0], [-1, -1, 2]), tf.slice(b, [0, 0, 0], [-1, -1, 2]));
    const rb = tf.minimum(tf.slice(a, [0, 0, 2], [-1, -1, 2]), tf.slice(b, [0, 0, 2], [-1, -1, 2]));
    const wh = tf.maximum(tf.sub(rb, lt), 0);
    const [w, h] = tf.unstack(wh, 2);
    const inter = tf.mul(w!, h!);
    const union = tf.sub(tf.add(tf.expandDims(area1, 1), tf.expandDims(area2, 0)), inter);
    return tf.div(inter, union) as tf.Tensor2D;
  });
}

/** boxes: [N, 4] in format `from` -> [N, 4] in format `to`, with torchvision.ops.box_convert's arithmetic. */
export function boxConvert(boxes: tf.Tensor2D, from: BoxFormat, to: BoxFormat): tf.Tensor2D {
  for (const f of [from, to]) {
    if (!FORMATS.includes(f)) throw new Error(`unknown box format '${f}'; use one of ${FORMATS.join(', ')}`);
  }
  if (from === to) return tf.clone(boxes);
  return tf.tidy(() => {
    let [a, b, c, d] = columns(boxes);
    // Like torchvision, every conversion goes through xyxy.
    if (from === 'xywh') [c, d] = [tf.add(a, c), tf.add(b, d)];
    if (from === 'cxcywh') {
      const halfW = tf.mul(0.5, c);
      const halfH = tf.mul(0.5, d);
      [a, b, c, d] = [tf.sub(a, halfW), tf.sub(b, halfH), tf.add(a, halfW), tf.add(b, halfH)];
    }
    if (to === 'xywh') [c, d] = [tf.sub(c, a), tf.sub(d, b)];
    if (to === 'cxcywh') {
      [a, b, c, d] = [tf.div(tf.add(a, c), 2), tf.div(tf.add(b, d), 2), tf.sub(c, a), tf.sub(d, b)];
    }
    return tf.stack([a, b, c, d], 1) as tf.Tensor2D;
  });
}

/**
 * boxes: [N, 4] (x1, y1, x2, y2) -> [N, 4] with x clamped to [0, width] and y to [0, height], as
 * torchvision.ops.clip_boxes_to_image. `size` is [height, width], torchvision's order.
 */
export function clipBoxesToImage(boxes: tf.Tensor2D, [height, width]: readonly [number, number]): tf.Tensor2D {
  return tf.tidy(() => {
    columns(boxes);
    return tf.minimum(tf.maximum(boxes, 0), tf.tensor1d([width, height, width, height])) as tf.Tensor2D;
  });
}

/**
 * boxes: [N, 4] (x1, y1, x2, y2) -> int32 [K] indices, ascending, of the boxes whose width and height are
 * both >= minSize, as torchvision.ops.remove_small_boxes. Inverted boxes and boxes with NaN coordinates
 * are removed. Async: the number of boxes kept is only known after reading the comparison back.
 */
export async function removeSmallBoxes(boxes: tf.Tensor2D, minSize: number): Promise<tf.Tensor1D> {
  const keep = tf.tidy(() => {
    const [x1, y1, x2, y2] = columns(boxes);
    return tf.logicalAnd(tf.greaterEqual(tf.sub(x2, x1), minSize), tf.greaterEqual(tf.sub(y2, y1), minSize));
  });
  const where = await tf.whereAsync(keep);
  keep.dispose();
  const indices = tf.reshape(where, [-1]) as tf.Tensor1D;
  where.dispose();
  return indices;
}
