import type * as tf from '@tensorflow/tfjs-core';
import { batchedNmsHost } from '../ops/nms.js';
import type { Detections } from '../metrics.js';
import type { YoloGeometry } from './loss.js';

export interface DecodeOptions {
  /** Class-specific scores at or below this are dropped before NMS (default 0.05). */
  scoreThreshold?: number;
  /** Per-class NMS IoU threshold (default 0.5). */
  iouThreshold?: number;
  /** Detections kept per image, best first (default 100). */
  maxDetections?: number;
}

/**
 * Boxes and class-specific confidence scores from YOLO outputs, as the paper's test time:
 * score(c) = Pr(class c | object) * confidence, per predictor and class; boxes are clipped to the image,
 * and per-class NMS (`batchedNmsHost`) keeps the best. Scores that are NaN are dropped, as are boxes that
 * are empty after clipping.
 *
 * output: host values of [N, S, S, B * 5 + C] -> N Detections in pixels.
 */
export function decodeYoloHost(output: ArrayLike<number>, g: YoloGeometry, options: DecodeOptions = {}): Detections[] {
  const { gridSize: s, boxesPerCell: nb, numClasses: nc } = g;
  const [height, width] = g.imageSize;
  const depth = nb * 5 + nc;
  const n = output.length / (s * s * depth);
  if (!Number.isInteger(n)) throw new Error(`decodeYolo: ${output.length} values are not a whole number of ${s}x${s}x${depth} outputs`);
  const threshold = options.scoreThreshold ?? 0.05;
  const result: Detections[] = [];
  for (let image = 0; image < n; image++) {
    const boxes: number[] = [], scores: number[] = [], labels: number[] = [];
    for (let row = 0; row < s; row++) {
      for (let col = 0; col < s; col++) {
        const cell = ((image * s + row) * s + col) * depth;
        for (let b = 0; b < nb; b++) {
          const [x, y, sw, sh, confidence] = [0, 1, 2, 3, 4].map((i) => output[cell + b * 5 + i]!) as [number, number, number, number, number];
          const cx = ((col + x) / s) * width, cy = ((row + y) / s) * height;
          const w = sw * sw * width, h = sh * sh * height;
          const box = [Math.max(0, cx - w / 2), Math.max(0, cy - h / 2), Math.min(width, cx + w / 2), Math.min(height, cy + h / 2)];
          if (!(box[2]! > box[0]! && box[3]! > box[1]!)) continue;
          for (let c = 0; c < nc; c++) {
            const score = output[cell + nb * 5 + c]! * confidence;
            if (!(score > threshold)) continue;
            boxes.push(...box);
            scores.push(score);
            labels.push(c);
          }
        }
      }
    }
    const keep = batchedNmsHost(boxes, scores, labels, options.iouThreshold ?? 0.5).slice(0, options.maxDetections ?? 100);
    result.push({
      boxes: Float32Array.from(Array.from(keep).flatMap((i) => boxes.slice(4 * i, 4 * i + 4))),
      scores: Float32Array.from(keep, (i) => scores[i]!),
      labels: Int32Array.from(keep, (i) => labels[i]!),
    });
  }
  return result;
}

/** output: [N, S, S, B * 5 + C] -> N Detections (see `decodeYoloHost`). Async: reads the output back. */
export async function decodeYolo(output: tf.Tensor4D, g: YoloGeometry, options: DecodeOptions = {}): Promise<Detections[]> {
  return decodeYoloHost(await output.data(), g, options);
}
