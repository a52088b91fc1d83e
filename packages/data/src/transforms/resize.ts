import { DataError } from '../errors.js';
import { emptyLike, type Image } from '../image.js';
import { roundHalfEven } from './round.js';
import { checkSize } from './size.js';
import type { Sample, Transform, TransformSpec } from './transform.js';

const f32 = Math.fround;

/** Per output index: the first input index, how many follow, and their weights (`taps` per output). */
interface Taps {
  start: Int32Array;
  count: Int32Array;
  weights: Float32Array;
  taps: number;
}

const triangle = (x: number) => {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
};

/**
 * The weights of PyTorch's antialiased bilinear interpolation (`_upsample_bilinear2d_aa`, what
 * torchvision's `F.resize(tensor, antialias=True)` calls; align_corners=False) for one axis: a
 * triangle filter widened by the scale when shrinking, as PIL's. Computed in float32 where PyTorch
 * computes in float32, so the outputs agree to float32 rounding.
 */
function antialiasTaps(inSize: number, outSize: number): Taps {
  const scale = f32(inSize / outSize);
  const support = scale >= 1 ? f32(scale) : 1;
  const invscale = scale >= 1 ? f32(1 / scale) : 1;
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * taps);
  for (let i = 0; i < outSize; i++) {
    const center = f32(scale * (i + 0.5));
    const xmin = Math.max(Math.trunc(f32(center - support) + 0.5), 0);
    const xsize = Math.min(Math.trunc(f32(center + support) + 0.5), inSize) - xmin;
    let total = 0;
    for (let j = 0; j < xsize; j++) {
      const w = f32(triangle(f32((f32(j + xmin - center) + 0.5) * invscale)));
      weights[i * taps + j] = w;
      total = f32(total + w);
    }
    if (total !== 0) for (let j = 0; j < xsize; j++) weights[i * taps + j] = f32(weights[i * taps + j]! / total);
    start[i] = xmin;
    count[i] = xsize;
  }
  return { start, count, weights, taps };
}

/** Interpolates along one axis of a [outer, length, inner] float32 array (inner = the following axes). */
function resampleAxis(src: Float32Array, outer: number, length: number, inner: number, taps: Taps, outLength: number): Float32Array {
  const out = new Float32Array(outer * outLength * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < outLength; i++) {
      const first = taps.start[i]!, n = taps.count[i]!, w = i * taps.taps;
      const dst = (o * outLength + i) * inner;
      for (let k = 0; k < inner; k++) {
        let at = (o * length + first) * inner + k;
        let acc = f32(src[at]! * taps.weights[w]!);
        for (let j = 1; j < n; j++) {
          at += inner;
          acc = f32(acc + f32(src[at]! * taps.weights[w + j]!));
        }
        out[dst + k] = acc;
      }
    }
  }
  return out;
}

/**
 * Bilinear resize with antialiasing, as torchvision 0.14's `F.resize(img, size, antialias=True)` on a
 * tensor: width first, then height, each axis skipped when its size does not change. A uint8 image is
 * interpolated in float32 and rounded half-to-even, as torchvision does for uint8 tensors.
 * image: [H, W, C] -> [height, width, C], same element type.
 */
export function resizeImage<T extends Uint8Array | Float32Array>(image: Image<T>, height: number, width: number): Image<T> {
  const { channels } = image;
  let data: Float32Array = image.data instanceof Float32Array ? image.data : Float32Array.from(image.data);
  if (width !== image.width) data = resampleAxis(data, image.height, image.width, channels, antialiasTaps(image.width, width), width);
  if (height !== image.height) data = resampleAxis(data, 1, image.height, width * channels, antialiasTaps(image.height, height), height);
  const out = emptyLike(image, height, width);
  if (out.data instanceof Float32Array) out.data.set(data);
  else for (let i = 0; i < data.length; i++) out.data[i] = Math.min(255, Math.max(0, roundHalfEven(data[i]!)));
  return out;
}

/**
 * Nearest-neighbour resize as PyTorch's `mode='nearest'` (source index floor(i * in / out) in float32),
 * the interpolation torchvision's segmentation references use for masks, so class ids stay class ids.
 * mask: [H, W, C] -> [height, width, C].
 */
export function resizeNearest<T extends Uint8Array | Float32Array>(image: Image<T>, height: number, width: number): Image<T> {
  const rows = nearestIndices(image.height, height), cols = nearestIndices(image.width, width);
  const c = image.channels;
  const out = emptyLike(image, height, width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const src = (rows[y]! * image.width + cols[x]!) * c, dst = (y * width + x) * c;
      for (let k = 0; k < c; k++) out.data[dst + k] = image.data[src + k]!;
    }
  }
  return out;
}

function nearestIndices(inSize: number, outSize: number): Int32Array {
  const scale = f32(inSize / outSize);
  const index = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    index[i] = outSize === inSize ? i : outSize === 2 * inSize ? i >> 1 : Math.min(Math.floor(f32(i * scale)), inSize - 1);
  }
  return index;
}

/**
 * The output size of torchvision's `Resize(size, max_size)`: an int resizes the shorter side to it
 * (the longer one to int(size * long / short)), [h, w] is exact; `maxSize` caps the longer side.
 */
export function resizedSize(height: number, width: number, size: number | readonly [number, number], maxSize?: number): [number, number] {
  if (typeof size !== 'number') return [size[0], size[1]];
  const [short, long] = width <= height ? [width, height] : [height, width];
  let newShort = size, newLong = Math.trunc((size * long) / short);
  if (maxSize !== undefined) {
    if (maxSize <= size) throw new DataError(`Resize maxSize ${maxSize} must be greater than the shorter side's size ${size}`);
    if (newLong > maxSize) [newShort, newLong] = [Math.trunc((maxSize * newShort) / newLong), maxSize];
  }
  return width <= height ? [newLong, newShort] : [newShort, newLong];
}

/** Moves boxes [K, 4] (x1, y1, x2, y2) from a [fromH, fromW] image to a [toH, toW] one, as torchvision's `resize_boxes`. */
export function resizeBoxes(boxes: Float32Array, fromH: number, fromW: number, toH: number, toW: number): Float32Array {
  const sx = toW / fromW, sy = toH / fromH;
  return boxes.map((v, i) => (i % 2 === 0 ? v * sx : v * sy));
}

/** Resizes a sample: the image antialiased bilinear, the mask nearest, the boxes scaled. */
export function resizeSample(sample: Sample, height: number, width: number): Sample {
  const { image } = sample;
  const out: Sample = { image: resizeImage(image, height, width) };
  if (sample.boxes) out.boxes = resizeBoxes(sample.boxes, image.height, image.width, height, width);
  if (sample.mask) out.mask = resizeNearest(sample.mask, height, width);
  return out;
}

/**
 * torchvision's `Resize(size, antialias=True)` on tensors (bilinear). torchvision 0.14's own default
 * for tensors is antialias=False (PIL images are always antialiased); convkit always antialiases,
 * which is what torchvision 0.17+ does by default and what its PIL path always did.
 */
export class Resize implements Transform {
  readonly spec: TransformSpec;

  constructor(readonly size: number | [number, number], readonly maxSize?: number) {
    checkSize(size, 'Resize');
    this.spec = maxSize === undefined ? { name: 'Resize', size } : { name: 'Resize', size, maxSize };
  }

  apply(sample: Sample): Sample {
    const [height, width] = resizedSize(sample.image.height, sample.image.width, this.size, this.maxSize);
    return resizeSample(sample, height, width);
  }
}
