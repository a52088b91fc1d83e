import { gaussianBlur } from './filters.js';
import type { Channels } from './image.js';
import { stdSort } from './std-sort.js';

export interface GraphSegmentationOptions {
  /** Threshold constant k: higher gives fewer, larger segments. OpenCV's default 300. */
  k?: number;
  /** Gaussian pre-smoothing; OpenCV's default 0.5 (selective search sets 0.8). */
  sigma?: number;
  /** Segments smaller than this are merged into a neighbour. OpenCV's default 100. */
  minSize?: number;
}

/** Union-find by size, as OpenCV's PointSet: the larger set absorbs the smaller (the first on ties). */
class PointSet {
  readonly parent: Int32Array;
  readonly size: Int32Array;

  constructor(n: number) {
    this.parent = new Int32Array(n);
    for (let i = 0; i < n; i++) this.parent[i] = i;
    this.size = new Int32Array(n).fill(1);
  }

  root(p: number): number {
    let r = p;
    while (r !== this.parent[r]) r = this.parent[r]!;
    this.parent[p] = r;
    return r;
  }

  join(a: number, b: number): void {
    if (this.size[a]! < this.size[b]!) [a, b] = [b, a];
    this.parent[b] = a;
    this.size[a] = this.size[a]! + this.size[b]!;
  }
}

/**
 * Felzenszwalb-Huttenlocher segmentation as OpenCV's ximgproc GraphSegmentation runs it inside selective
 * search (it differs from skimage's `felzenszwalb`): the image as float32 without rescaling, Gaussian
 * blur (kernel round(8 sigma + 1) | 1, reflect-101 border), a 4-connected graph whose edges appear once
 * from each end, merging while the weight is <= both segments' threshold, a threshold
 * becoming weight + k / size after a merge, then merging segments under `minSize` along the unused edges.
 *
 * image: [H, W, C] bytes, any channel count -> Int32Array [H * W] labels numbered in raster order.
 * Edges are sorted with libstdc++'s std::sort as OpenCV's are (`stdSort`), so equal weights are taken in
 * OpenCV's order; the blur sums in another order than OpenCV's SIMD code, which can move a weight by an
 * ulp (the tests measure the agreement).
 */
export function graphSegmentation(image: Channels, options: GraphSegmentationOptions = {}): Int32Array {
  const { k = 300, sigma = 0.5, minSize = 100 } = options;
  const { height, width, channels } = image;
  const pixels = height * width;
  if (pixels === 0) return new Int32Array(0);
  const img = gaussianBlur(image, sigma > 0 ? sigma : 0.001);

  const from = new Int32Array(4 * pixels);
  const to = new Int32Array(4 * pixels);
  const weight = new Float32Array(4 * pixels);
  let edges = 0;
  const neighbours = [[-1, 0], [0, -1], [1, 0], [0, 1]] as const;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      for (const [dy, dx] of neighbours) {
        const y2 = y + dy, x2 = x + dx;
        if (y2 < 0 || y2 >= height || x2 < 0 || x2 >= width) continue;
        const q = y2 * width + x2;
        let total = 0;
        for (let c = 0; c < channels; c++) total = Math.fround(total + (img[p * channels + c]! - img[q * channels + c]!) ** 2);
        from[edges] = p;
        to[edges] = q;
        weight[edges++] = Math.sqrt(total);
      }
    }
  }
  const order = stdSort(Array.from({ length: edges }, (_, i) => i), (a, b) => weight[a]! < weight[b]!);

  const set = new PointSet(pixels);
  const threshold = new Float32Array(pixels).fill(k);
  const used = new Uint8Array(edges);
  for (const e of order) {
    let a = set.root(from[e]!);
    const b = set.root(to[e]!);
    if (a === b) continue;
    const w = weight[e]!;
    if (w <= threshold[a]! && w <= threshold[b]!) {
      set.join(a, b);
      a = set.root(a);
      threshold[a] = w + k / set.size[a]!;
      used[e] = 1;
    }
  }
  for (const e of order) {
    if (used[e] || weight[e] === 0) continue;
    const a = set.root(from[e]!);
    const b = set.root(to[e]!);
    if (a !== b && (set.size[a]! < minSize || set.size[b]! < minSize)) set.join(a, b);
  }
  const labels = new Int32Array(pixels);
  const mapped = new Int32Array(pixels).fill(-1);
  let next = 0;
  for (let i = 0; i < pixels; i++) {
    const r = set.root(i);
    if (mapped[r] === -1) mapped[r] = next++;
    labels[i] = mapped[r]!;
  }
  return labels;
}
