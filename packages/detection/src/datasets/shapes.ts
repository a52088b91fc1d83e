import * as tf from '@tensorflow/tfjs-core';
import { seededRandom } from '@convkit/core';
import type { RgbImage } from '../selective-search/image.js';

/** The classes of the synthetic set, by label: 0 disc (red), 1 square (green), 2 triangle (blue). */
export const SHAPE_CLASSES = ['disc', 'square', 'triangle'] as const;

/** One annotated image: boxes [K, 4] (x1, y1, x2, y2) in pixel edges, labels [K] in 0 .. classes - 1. */
export interface DetectionSample {
  image: RgbImage;
  boxes: Float32Array;
  labels: Int32Array;
}

export interface ShapesOptions {
  /** Images to draw (default 64). */
  count?: number;
  /** Square image side in pixels (default 64). */
  size?: number;
  /** Objects per image, inclusive (default [1, 4]). */
  objects?: readonly [min: number, max: number];
  /** Object side in pixels, inclusive (default [12, 26] at size 64, scaled with the size). */
  objectSize?: readonly [min: number, max: number];
  seed?: number;
}

const BASE_COLOURS: readonly (readonly [number, number, number])[] = [[220, 40, 40], [40, 190, 60], [50, 80, 230]];

/** Whether pixel centre (px, py) lies inside a shape of `label` filling the box (x1, y1, x2, y2). */
function inside(label: number, px: number, py: number, x1: number, y1: number, x2: number, y2: number): boolean {
  if (px < x1 || px >= x2 || py < y1 || py >= y2) return false;
  if (label === 1) return true;
  const cx = (x1 + x2) / 2, cy = (y1 + y2) / 2, rx = (x2 - x1) / 2, ry = (y2 - y1) / 2;
  if (label === 0) return ((px - cx) / rx) ** 2 + ((py - cy) / ry) ** 2 <= 1;
  // Triangle with its apex at the top centre and its base along the bottom edge.
  const t = (py - y1) / (y2 - y1);
  return Math.abs(px - cx) <= rx * t;
}

function boxIouHost(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const w = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const h = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const inter = w * h;
  const union = (a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * A deterministic synthetic detection set: per image, a textured noisy background (a colour gradient,
 * stripes and per-pixel noise) and 1 to 4 objects, discs, squares and triangles in jittered red, green and
 * blue, overlapping each other by IoU < 0.2. Boxes are the tight pixel-edge bounds of each drawn shape.
 * The same options give the same images on every machine.
 */
export function syntheticShapes(options: ShapesOptions = {}): DetectionSample[] {
  const size = options.size ?? 64;
  const count = options.count ?? 64;
  const [minObjects, maxObjects] = options.objects ?? [1, 4];
  const scale = size / 64;
  const [minSide, maxSide] = options.objectSize ?? [Math.round(12 * scale), Math.round(26 * scale)];
  const random = seededRandom(options.seed ?? 0);
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * random();
  const samples: DetectionSample[] = [];
  for (let n = 0; n < count; n++) {
    const data = new Uint8Array(size * size * 3);
    const base = [uniform(60, 190), uniform(60, 190), uniform(60, 190)];
    const gradient = [uniform(-40, 40), uniform(-40, 40), uniform(-40, 40)];
    const period = uniform(4, 12), angle = uniform(0, Math.PI), stripe = uniform(5, 25);
    const pixel = new Float32Array(size * size * 3);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const wave = stripe * Math.sin(((x * Math.cos(angle) + y * Math.sin(angle)) / period) * 2 * Math.PI);
        for (let c = 0; c < 3; c++) pixel[(y * size + x) * 3 + c] = base[c]! + (gradient[c]! * (x + y)) / size + wave;
      }
    }
    const wanted = minObjects + Math.floor(random() * (maxObjects - minObjects + 1));
    const boxes: number[][] = [];
    const labels: number[] = [];
    for (let tries = 0; boxes.length < wanted && tries < 50; tries++) {
      const label = Math.floor(random() * SHAPE_CLASSES.length);
      const w = Math.round(uniform(minSide, maxSide + 1 - 1e-9));
      const h = label === 1 || label === 0 ? Math.round(w * uniform(0.75, 1.33)) : Math.round(uniform(minSide, maxSide));
      const side = [Math.min(w, size), Math.min(h, size)];
      const x1 = Math.floor(random() * (size - side[0]! + 1));
      const y1 = Math.floor(random() * (size - side[1]! + 1));
      const box = [x1, y1, x1 + side[0]!, y1 + side[1]!];
      if (boxes.some((b) => boxIouHost(b, box) >= 0.2)) continue;
      const colour = BASE_COLOURS[label]!.map((v) => v + uniform(-25, 25));
      // Tight bounds of the pixels actually drawn (a disc's or triangle's corners stay background).
      let bx1 = size, by1 = size, bx2 = -1, by2 = -1;
      for (let y = box[1]!; y < box[3]!; y++) {
        for (let x = box[0]!; x < box[2]!; x++) {
          if (!inside(label, x + 0.5, y + 0.5, box[0]!, box[1]!, box[2]!, box[3]!)) continue;
          for (let c = 0; c < 3; c++) pixel[(y * size + x) * 3 + c] = colour[c]!;
          bx1 = Math.min(bx1, x); by1 = Math.min(by1, y); bx2 = Math.max(bx2, x); by2 = Math.max(by2, y);
        }
      }
      if (bx2 < 0) continue;
      boxes.push([bx1, by1, bx2 + 1, by2 + 1]);
      labels.push(label);
    }
    for (let i = 0; i < pixel.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(pixel[i]! + uniform(-18, 18))));
    samples.push({ image: { data, height: size, width: size }, boxes: Float32Array.from(boxes.flat()), labels: Int32Array.from(labels) });
  }
  return samples;
}

/** The fixed splits the tests and docs use: train (seed 1) and test (seed 2), disjoint by construction. */
export function shapesSplits(trainCount = 256, testCount = 64, size = 64): { train: DetectionSample[]; test: DetectionSample[] } {
  return { train: syntheticShapes({ count: trainCount, size, seed: 1 }), test: syntheticShapes({ count: testCount, size, seed: 2 }) };
}

/** images: N RGB(A) images of one size -> [N, H, W, 3] float32 in [0, 1]. */
export function imagesToTensor(images: readonly RgbImage[]): tf.Tensor4D {
  if (images.length === 0) throw new Error('imagesToTensor needs at least one image');
  const { height, width } = images[0]!;
  const out = new Float32Array(images.length * height * width * 3);
  images.forEach((image, n) => {
    if (image.height !== height || image.width !== width) {
      throw new Error(`imagesToTensor needs images of one size; image ${n} is ${image.height}x${image.width}, image 0 ${height}x${width}`);
    }
    const stride = image.data.length === height * width * 4 ? 4 : 3;
    if (image.data.length !== height * width * stride) throw new Error(`image ${n}: ${image.data.length} bytes for ${height}x${width}`);
    for (let p = 0, o = n * height * width * 3; p < height * width; p++, o += 3) {
      out[o] = image.data[p * stride]! / 255;
      out[o + 1] = image.data[p * stride + 1]! / 255;
      out[o + 2] = image.data[p * stride + 2]! / 255;
    }
  });
  return tf.tensor4d(out, [images.length, height, width, 3]);
}
