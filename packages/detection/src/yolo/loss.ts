import * as tf from '@tensorflow/tfjs-core';
import type { GroundTruth } from '../metrics.js';

export interface YoloLossOptions {
  /** lambda_coord, the weight of the box terms (paper: 5). */
  lambdaCoord?: number;
  /** lambda_noobj, the weight of confidences of predictors with no object (paper: 0.5). */
  lambdaNoobj?: number;
}

export interface YoloTargetOptions {
  /**
   * The responsible predictor's confidence target: 'iou' (the paper: Pr(object) * IoU with its current
   * box, default) or 'one' (1, which trains confidences faster while the boxes are still poor).
   */
  objectness?: 'iou' | 'one';
}

export interface YoloGeometry {
  gridSize: number;
  boxesPerCell: number;
  numClasses: number;
  /** [height, width] of the input images in pixels. */
  imageSize: readonly [number, number];
}

/** Host-side targets of one batch, all [N, S, S, ...] row-major. */
export interface YoloTargets {
  /** [N, S, S, B]: 1 where predictor b of the cell is responsible for an object. */
  responsible: Float32Array;
  /** [N, S, S, B, 4]: (x, y, sqrt w, sqrt h) of the responsible predictor's object. */
  boxes: Float32Array;
  /** [N, S, S, B]: IoU of the responsible predictor's box with its object (the confidence target). */
  confidence: Float32Array;
  /** [N, S, S]: 1 where an object's centre falls in the cell. */
  objectCells: Float32Array;
  /** [N, S, S, C]: the one-hot class of the cell's object. */
  classes: Float32Array;
}

function iouCxcywh(a: readonly number[], b: readonly number[]): number {
  const w = Math.max(0, Math.min(a[0]! + a[2]! / 2, b[0]! + b[2]! / 2) - Math.max(a[0]! - a[2]! / 2, b[0]! - b[2]! / 2));
  const h = Math.max(0, Math.min(a[1]! + a[3]! / 2, b[1]! + b[3]! / 2) - Math.max(a[1]! - a[3]! / 2, b[1]! - b[3]! / 2));
  const union = a[2]! * a[3]! + b[2]! * b[3]! - w * h;
  return union > 0 ? (w * h) / union : 0;
}

/**
 * The paper's assignment: an object belongs to the cell its centre falls in, and of that cell's B
 * predictors the one whose current box has the highest IoU with it is "responsible" (the first on ties).
 * A cell holds one object: a second object centred in the same cell is left out, as in the paper.
 * Boxes outside the image are clipped to it first; empty or degenerate ground-truth boxes are skipped.
 *
 * predictions: host values of the network output [N, S, S, B * 5 + C].
 */
export function yoloTargets(predictions: ArrayLike<number>, truths: readonly GroundTruth[], g: YoloGeometry, options: YoloTargetOptions = {}): YoloTargets {
  const { gridSize: s, boxesPerCell: nb, numClasses: nc } = g;
  const [height, width] = g.imageSize;
  const n = truths.length;
  const depth = nb * 5 + nc;
  if (predictions.length !== n * s * s * depth) throw new Error(`yoloTargets: ${predictions.length} predictions for ${n} images of ${s}x${s}x${depth}`);
  const t: YoloTargets = {
    responsible: new Float32Array(n * s * s * nb),
    boxes: new Float32Array(n * s * s * nb * 4),
    confidence: new Float32Array(n * s * s * nb),
    objectCells: new Float32Array(n * s * s),
    classes: new Float32Array(n * s * s * nc),
  };
  truths.forEach((truth, image) => {
    for (let k = 0; k < truth.labels.length; k++) {
      const label = truth.labels[k]!;
      const x1 = Math.min(Math.max(truth.boxes[4 * k]!, 0), width), y1 = Math.min(Math.max(truth.boxes[4 * k + 1]!, 0), height);
      const x2 = Math.min(Math.max(truth.boxes[4 * k + 2]!, 0), width), y2 = Math.min(Math.max(truth.boxes[4 * k + 3]!, 0), height);
      if (!(x2 > x1 && y2 > y1) || !(label >= 0 && label < nc)) continue;
      const gx = ((x1 + x2) / 2 / width) * s, gy = ((y1 + y2) / 2 / height) * s;
      const col = Math.min(s - 1, Math.floor(gx)), row = Math.min(s - 1, Math.floor(gy));
      const cell = (image * s + row) * s + col;
      if (t.objectCells[cell]) continue;
      t.objectCells[cell] = 1;
      t.classes[cell * nc + label] = 1;
      const truthBox = [gx - col, gy - row, ((x2 - x1) / width) * s, ((y2 - y1) / height) * s];
      let best = -1, bestIou = -1;
      for (let b = 0; b < nb; b++) {
        const p = cell * depth + b * 5;
        // In cell units: the centre offset, and the size (sqrt w)^2 * S.
        const predicted = [predictions[p]!, predictions[p + 1]!, predictions[p + 2]! ** 2 * s, predictions[p + 3]! ** 2 * s];
        const overlap = iouCxcywh(predicted, truthBox);
        if (overlap > bestIou) [best, bestIou] = [b, overlap];
      }
      t.responsible[cell * nb + best] = 1;
      t.confidence[cell * nb + best] = options.objectness === 'one' ? 1 : bestIou;
      t.boxes.set([gx - col, gy - row, Math.sqrt((x2 - x1) / width), Math.sqrt((y2 - y1) / height)], (cell * nb + best) * 4);
    }
  });
  return t;
}

/**
 * YOLO v1's sum-squared loss, divided by the batch size:
 * lambda_coord * sum over responsible predictors of (x - x^)^2 + (y - y^)^2 + (sqrt w - sqrt w^)^2 + (sqrt h - sqrt h^)^2
 * + sum over responsible predictors of (C - IoU)^2 + lambda_noobj * sum over the others of C^2
 * + sum over cells with an object of sum over classes of (p(c) - p^(c))^2.
 * output: [N, S, S, B * 5 + C] -> scalar.
 */
export function yoloLoss(output: tf.Tensor4D, targets: YoloTargets, g: YoloGeometry, options: YoloLossOptions = {}): tf.Scalar {
  const lambdaCoord = options.lambdaCoord ?? 5;
  const lambdaNoobj = options.lambdaNoobj ?? 0.5;
  const { gridSize: s, boxesPerCell: nb, numClasses: nc } = g;
  const n = output.shape[0];
  return tf.tidy(() => {
    const boxPart = tf.reshape(tf.slice(output, [0, 0, 0, 0], [n, s, s, nb * 5]), [n, s, s, nb, 5]);
    const classPart = tf.slice(output, [0, 0, 0, nb * 5], [n, s, s, nc]);
    const coords = tf.slice(boxPart, [0, 0, 0, 0, 0], [n, s, s, nb, 4]);
    const confidence = tf.reshape(tf.slice(boxPart, [0, 0, 0, 0, 4], [n, s, s, nb, 1]), [n, s, s, nb]);
    const responsible = tf.tensor4d(targets.responsible, [n, s, s, nb]);
    const coordError = tf.sum(tf.square(tf.sub(coords, tf.tensor(targets.boxes, [n, s, s, nb, 4]))), 4);
    const coord = tf.mul(lambdaCoord, tf.sum(tf.mul(responsible, coordError)));
    const object = tf.sum(tf.mul(responsible, tf.square(tf.sub(confidence, tf.tensor4d(targets.confidence, [n, s, s, nb])))));
    const noObject = tf.mul(lambdaNoobj, tf.sum(tf.mul(tf.sub(1, responsible), tf.square(confidence))));
    const classError = tf.sum(tf.square(tf.sub(classPart, tf.tensor4d(targets.classes, [n, s, s, nc]))), 3);
    const classes = tf.sum(tf.mul(tf.tensor3d(targets.objectCells, [n, s, s]), classError));
    return tf.div(tf.add(tf.add(coord, object), tf.add(noObject, classes)), n) as tf.Scalar;
  });
}
