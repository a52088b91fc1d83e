import { mergeChannels, rgbToGray, rgbToHsv, rgbToLab } from './color-spaces.js';
import { graphSegmentation } from './graph-segmentation.js';
import { type Channels, type RgbImage, rgbChannels } from './image.js';
import {
  ColorSimilarity, FillSimilarity, type Segmentation, SizeSimilarity, type Strategy, TextureSimilarity, equallyWeighted, rectUnion,
} from './similarity.js';
import { stdSort } from './std-sort.js';
import { textureImages } from './texture.js';

export interface SelectiveSearchOptions {
  /**
   * OpenCV's presets: 'fast' (switchToSelectiveSearchFast: HSV and Lab, k = base, +inc, +2 inc, two
   * strategies), 'quality' (switchToSelectiveSearchQuality: HSV, Lab, grey, blue (where OpenCV's source
   * says hue, see `plan`), RG+grey; five k; four strategies) or 'single' (switchToSingleStrategy: HSV,
   * k = 200, one strategy). Default 'fast'.
   */
  mode?: 'fast' | 'quality' | 'single';
  /** First graph-segmentation k (default 150); 'single' uses 200 unless given. */
  baseK?: number;
  /** Step between the ks (default 150). */
  incK?: number;
  /** Gaussian smoothing before graph segmentation (default 0.8). */
  sigma?: number;
  /** Seed of the random ranking (OpenCV draws it from C's rand()); default 1. */
  seed?: number;
}

interface Region {
  /** The strategy slot the region's statistics live in: the smaller id of the two merged. */
  id: number;
  level: number;
  rect: [number, number, number, number];
}

/** Segmentation statistics and OpenCV's neighbour test (which skips row 0's and column 0's own pairs). */
function describe(labels: Int32Array, height: number, width: number): { segmentation: Segmentation; neighbours: Uint8Array } {
  let count = 0;
  for (const l of labels) count = Math.max(count, l + 1);
  const rects = new Int32Array(4 * count);
  const extent = new Int32Array(4 * count);
  for (let r = 0; r < count; r++) extent.set([width, height, -1, -1], 4 * r);
  const neighbours = new Uint8Array(count * count);
  const link = (a: number, b: number) => {
    neighbours[a * count + b] = 1;
    neighbours[b * count + a] = 1;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = labels[y * width + x]!;
      extent[4 * p] = Math.min(extent[4 * p]!, x);
      extent[4 * p + 1] = Math.min(extent[4 * p + 1]!, y);
      extent[4 * p + 2] = Math.max(extent[4 * p + 2]!, x);
      extent[4 * p + 3] = Math.max(extent[4 * p + 3]!, y);
      if (y > 0 && x > 0) {
        link(p, labels[y * width + x - 1]!);
        link(p, labels[(y - 1) * width + x]!);
        link(p, labels[(y - 1) * width + x - 1]!);
      }
    }
  }
  for (let r = 0; r < count; r++) {
    const [x1, y1, x2, y2] = extent.subarray(4 * r, 4 * r + 4);
    rects.set([x1!, y1!, x2! - x1! + 1, y2! - y1! + 1], 4 * r);
  }
  return { segmentation: { labels, count, rects }, neighbours };
}

/**
 * OpenCV's hierarchicalGrouping: repeatedly merges the most similar pair of neighbouring regions until
 * one is left, recording every region made on the way with its level (1 for the initial segments).
 */
function hierarchicalGrouping(image: Channels, strategy: Strategy, texture: Uint8Array[], segmentation: Segmentation, neighbours: Uint8Array): Region[] {
  const { count, rects, labels } = segmentation;
  const sizes = new Int32Array(count);
  for (const l of labels) sizes[l]++;
  strategy.setImage(image, segmentation, sizes, texture);
  const regions: Region[] = [];
  let pairs: { from: number; to: number; similarity: number }[] = [];
  for (let i = 0; i < count; i++) {
    regions.push({ id: i, level: 1, rect: [rects[4 * i]!, rects[4 * i + 1]!, rects[4 * i + 2]!, rects[4 * i + 3]!] });
    for (let j = i + 1; j < count; j++) if (neighbours[i * count + j]) pairs.push({ from: i, to: j, similarity: strategy.get(i, j) });
  }
  while (pairs.length > 0) {
    // OpenCV re-sorts the whole list every step and takes the last pair: the order ties end up in matters.
    stdSort(pairs, (x, y) => x.similarity < y.similarity);
    const { from: a, to: b } = pairs.pop()!;
    const ra = regions[a]!, rb = regions[b]!;
    const merged = regions.length;
    regions.push({ id: Math.min(ra.id, rb.id), level: Math.max(ra.level, rb.level) + 1, rect: rectUnion(ra.rect, 0, rb.rect, 0) });
    strategy.merge(ra.id, rb.id);
    sizes[ra.id] = sizes[ra.id]! + sizes[rb.id]!;
    sizes[rb.id] = sizes[ra.id]!;
    const local: number[] = [];
    pairs = pairs.filter(({ from, to }) => {
      if (from !== a && from !== b && to !== a && to !== b) return true;
      const other = from === a || from === b ? to : from;
      if (!local.includes(other)) local.push(other);
      return false;
    });
    for (const other of local) pairs.push({ from: merged, to: other, similarity: strategy.get(regions[merged]!.id, regions[other]!.id) });
  }
  return regions;
}

const RAND_MAX = 2147483647;

/**
 * glibc's rand() after srand(seed) (its additive feedback generator), which OpenCV draws the ranks from:
 * with the same regions in the same order, the same seed gives OpenCV's ranking.
 */
export function glibcRand(seed: number): () => number {
  const r = new Int32Array(34);
  r[0] = seed === 0 ? 1 : seed;
  for (let i = 1; i < 31; i++) {
    // 16807 * r[i - 1] mod (2^31 - 1), with glibc's overflow-free split.
    const hi = Math.trunc(r[i - 1]! / 127773);
    const lo = r[i - 1]! % 127773;
    const word = 16807 * lo - 2836 * hi;
    r[i] = word < 0 ? word + 2147483647 : word;
  }
  for (let i = 31; i < 34; i++) r[i] = r[i - 31]!;
  // r[i] = r[i - 31] + r[i - 3] (mod 2^32) in a ring of 34; the first 310 values are discarded.
  let i = 34;
  const step = () => {
    const value = (r[(i + 3) % 34]! + r[(i + 31) % 34]!) | 0;
    r[i % 34] = value;
    i++;
    return value >>> 1;
  };
  while (i < 344) step();
  return step;
}

interface Plan {
  images: Channels[];
  ks: number[];
  strategies: () => Strategy[];
}

function plan(rgb: Channels, options: SelectiveSearchOptions): Plan {
  const { mode = 'fast', incK = 150 } = options;
  const hsv = rgbToHsv(rgb);
  const full = () => equallyWeighted(new ColorSimilarity(), new FillSimilarity(), new TextureSimilarity(), new SizeSimilarity());
  const noColour = () => equallyWeighted(new FillSimilarity(), new TextureSimilarity(), new SizeSimilarity());
  const ks = (base: number, n: number) => Array.from({ length: n }, (_, i) => base + i * incK);
  if (mode === 'single') return { images: [hsv], ks: [options.baseK ?? 200], strategies: () => [full()] };
  const baseK = options.baseK ?? 150;
  if (mode === 'fast') return { images: [hsv, rgbToLab(rgb)], ks: ks(baseK, 3), strategies: () => [full(), noColour()] };
  if (mode !== 'quality') throw new Error(`selectiveSearch: unknown mode '${String(mode)}'; use 'fast', 'quality' or 'single'`);
  const gray = rgbToGray(rgb);
  return {
    images: [
      hsv,
      rgbToLab(rgb),
      gray,
      // OpenCV means to add the hue plane here, but split() then reuses that plane's buffer for the base
      // image's blue channel, which is what its segmentations see; we follow what OpenCV computes.
      mergeChannels([{ image: rgb, channel: 2 }]),
      mergeChannels([{ image: rgb, channel: 0 }, { image: rgb, channel: 1 }, { image: gray, channel: 0 }]),
    ],
    ks: ks(baseK, 5),
    strategies: () => [full(), noColour(), new FillSimilarity(), new SizeSimilarity()],
  };
}

/**
 * Runs selective search on the given colour images, ks and strategies (OpenCV's addImage,
 * addGraphSegmentation and addStrategy) and ranks the regions: what every mode of `selectiveSearch` does.
 */
function selectiveSearchWith(images: Channels[], ks: number[], strategies: () => Strategy[], sigma = 0.8, seed = 1): Float32Array {
  const rand = glibcRand(seed);
  const ranked: { rank: number; rect: [number, number, number, number] }[] = [];
  for (const colour of images) {
    const texture = textureImages(colour);
    for (const k of ks) {
      const labels = graphSegmentation(colour, { k, sigma, minSize: 100 });
      const { segmentation, neighbours } = describe(labels, colour.height, colour.width);
      for (const strategy of strategies()) {
        for (const region of hierarchicalGrouping(colour, strategy, texture, segmentation, neighbours)) {
          ranked.push({ rank: (rand() / RAND_MAX) * region.level, rect: region.rect });
        }
      }
    }
  }
  stdSort(ranked, (a, b) => a.rank < b.rank);
  const seen = new Set<string>();
  const boxes: number[] = [];
  for (const { rect: [x, y, w, h] } of ranked) {
    const key = `${x},${y},${w},${h}`;
    if (seen.has(key)) continue;
    seen.add(key);
    boxes.push(x, y, x + w, y + h);
  }
  return Float32Array.from(boxes);
}

/**
 * Selective search (Uijlings et al. 2013) as OpenCV's ximgproc SelectiveSearchSegmentation implements
 * it: for every colour space and k of the mode, a graph segmentation (`graphSegmentation`, min size 100)
 * is grouped hierarchically under every strategy; each region made gets the rank random() * level, and
 * the regions' boxes, sorted by rank (small, early regions first, shuffled), are returned without
 * duplicates. OpenCV ranks with C's rand(), so its order is random too: compare sets or recall, not order.
 *
 * image: [H, W, 3] RGB (or RGBA) uint8 -> Float32Array [K, 4] row-major boxes (x1, y1, x2, y2) in pixel
 * edges, so a region spanning columns 2..5 gives x1 = 2, x2 = 6 (OpenCV's Rect(x, y, w, h) is
 * (x, y, x + w, y + h) here). An empty image gives no boxes.
 */
export function selectiveSearch(image: RgbImage, options: SelectiveSearchOptions = {}): Float32Array {
  const rgb = rgbChannels(image, 'selectiveSearch');
  if (rgb.height === 0 || rgb.width === 0) return new Float32Array(0);
  const { images, ks, strategies } = plan(rgb, options);
  return selectiveSearchWith(images, ks, strategies, options.sigma, options.seed);
}
