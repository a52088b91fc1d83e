import { type RgbImage, rgbChannels } from './image.js';
import { argsort, expCorrectlyRounded, pairwiseSum } from './numpy-float64.js';

export interface FelzenszwalbOptions {
  /** Observation scale k: higher gives fewer, larger segments. Default 1, as skimage. */
  scale?: number;
  /** Standard deviation of the Gaussian pre-smoothing, in pixels. Default 0.8. */
  sigma?: number;
  /** Segments smaller than this many pixels are merged into a neighbour afterwards. Default 20. */
  minSize?: number;
}

/** scipy.ndimage's 'reflect' extension (d c b a | a b c d | d c b a) of index i into [0, n). */
function reflect(i: number, n: number): number {
  const period = 2 * n;
  let j = ((i % period) + period) % period;
  if (j >= n) j = period - 1 - j;
  return j;
}

/** scipy's Gaussian kernel (truncate 4): exp(-x^2 / 2 sigma^2) / sum, in numpy's exact arithmetic. */
function gaussianKernel(sigma: number): Float64Array {
  const radius = Math.trunc(4 * sigma + 0.5);
  const factor = -0.5 / (sigma * sigma);
  const phi = new Float64Array(2 * radius + 1);
  for (let x = -radius; x <= radius; x++) phi[x + radius] = expCorrectlyRounded(factor * (x * x));
  const sum = pairwiseSum(phi);
  return phi.map((v) => v / sum);
}

/**
 * scipy.ndimage.correlate1d with a symmetric kernel along one axis of an [H, W, C] float64 image, in
 * scipy's order of operations: centre tap first, then the outermost pair of taps inwards.
 */
function smoothAxis(src: Float64Array, height: number, width: number, channels: number, weights: Float64Array, axis: 0 | 1): Float64Array {
  const out = new Float64Array(src.length);
  const radius = (weights.length - 1) / 2;
  const centre = weights[radius]!;
  const length = axis === 0 ? height : width;
  const step = axis === 0 ? width * channels : channels;
  const lines = axis === 0 ? width * channels : height;
  for (let line = 0; line < lines; line++) {
    for (let c = 0; c < (axis === 0 ? 1 : channels); c++) {
      const base = axis === 0 ? line : line * width * channels + c;
      for (let i = 0; i < length; i++) {
        let acc = src[base + i * step]! * centre;
        for (let j = radius; j >= 1; j--) {
          acc += (src[base + reflect(i - j, length) * step]! + src[base + reflect(i + j, length) * step]!) * weights[radius - j]!;
        }
        out[base + i * step] = acc;
      }
    }
  }
  return out;
}

function findRoot(forest: Int32Array, n: number): number {
  while (forest[n]! < n) n = forest[n]!;
  return n;
}

function setRoot(forest: Int32Array, n: number, root: number): void {
  while (forest[n]! < n) {
    const j = forest[n]!;
    forest[n] = root;
    n = j;
  }
  forest[n] = root;
}

/** Joins two trees under the smaller root, as skimage's join_trees. */
function joinTrees(forest: Int32Array, n: number, m: number): void {
  if (n === m) return;
  const root = Math.min(findRoot(forest, n), findRoot(forest, m));
  setRoot(forest, n, root);
  setRoot(forest, m, root);
}

/**
 * Felzenszwalb-Huttenlocher graph segmentation as scikit-image's `felzenszwalb` computes it, label for
 * label: the image scaled to [0, 1], Gaussian smoothing (scipy, reflect border), an 8-connected graph
 * with Euclidean colour distances, edges merged in np.argsort order while the cost is below both
 * segments' internal difference plus scale / 255 / size (float32, as skimage keeps it), then segments
 * under `minSize` merged along the sorted edges.
 *
 * image: [H, W, 3] RGB (or RGBA) uint8 -> Int32Array [H * W] labels 0..K-1, numbered in the raster
 * order of each segment's first pixel. An empty image gives an empty array.
 */
export function felzenszwalb(image: RgbImage, options: FelzenszwalbOptions = {}): Int32Array {
  const { scale = 1, sigma = 0.8, minSize = 20 } = options;
  const { data, height, width, channels } = rgbChannels(image, 'felzenszwalb');
  const pixels = height * width;
  if (pixels === 0) return new Int32Array(0);

  let img: Float64Array = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) img[i] = data[i]! * (1 / 255);
  if (sigma > 1e-15) {
    const weights = gaussianKernel(sigma);
    img = smoothAxis(smoothAxis(img, height, width, channels, weights, 0), height, width, channels, weights, 1);
  }

  // Edges in skimage's order: right, down, down-right, up-right neighbours.
  const counts = [height * (width - 1), (height - 1) * width, (height - 1) * (width - 1), (height - 1) * (width - 1)];
  const total = counts.reduce((a, b) => a + Math.max(b, 0), 0);
  const from = new Int32Array(total);
  const to = new Int32Array(total);
  const costs = new Float64Array(total);
  let e = 0;
  const add = (a: number, b: number) => {
    let sum = 0;
    for (let c = 0; c < channels; c++) {
      const d = img[a * channels + c]! - img[b * channels + c]!;
      sum += d * d;
    }
    from[e] = a;
    to[e] = b;
    costs[e++] = Math.sqrt(sum);
  };
  for (let y = 0; y < height; y++) for (let x = 0; x + 1 < width; x++) add(y * width + x + 1, y * width + x);
  for (let y = 0; y + 1 < height; y++) for (let x = 0; x < width; x++) add((y + 1) * width + x, y * width + x);
  for (let y = 0; y + 1 < height; y++) for (let x = 0; x + 1 < width; x++) add((y + 1) * width + x + 1, y * width + x);
  for (let y = 0; y + 1 < height; y++) for (let x = 0; x + 1 < width; x++) add(y * width + x + 1, (y + 1) * width + x);

  const order = argsort(costs);
  const forest = new Int32Array(pixels);
  for (let i = 0; i < pixels; i++) forest[i] = i;
  const size = new Int32Array(pixels).fill(1);
  const inner = new Float64Array(pixels);
  const k = scale / 255;
  for (const edge of order) {
    const s0 = findRoot(forest, from[edge]!);
    const s1 = findRoot(forest, to[edge]!);
    if (s0 === s1) continue;
    const cost0 = Math.fround(inner[s0]! + k / size[s0]!);
    const cost1 = Math.fround(inner[s1]! + k / size[s1]!);
    if (costs[edge]! < Math.min(cost0, cost1)) {
      joinTrees(forest, s0, s1);
      const merged = findRoot(forest, s0);
      size[merged] = size[s0]! + size[s1]!;
      inner[merged] = costs[edge]!;
    }
  }
  for (const edge of order) {
    const s0 = findRoot(forest, from[edge]!);
    const s1 = findRoot(forest, to[edge]!);
    if (s0 === s1) continue;
    if (size[s0]! < minSize || size[s1]! < minSize) {
      joinTrees(forest, s0, s1);
      const merged = findRoot(forest, s0);
      size[merged] = size[s0]! + size[s1]!;
    }
  }
  const labels = new Int32Array(pixels);
  const labelOfRoot = new Int32Array(pixels).fill(-1);
  let next = 0;
  for (let i = 0; i < pixels; i++) {
    const root = findRoot(forest, i);
    if (labelOfRoot[root] === -1) labelOfRoot[root] = next++;
    labels[i] = labelOfRoot[root]!;
  }
  return labels;
}
