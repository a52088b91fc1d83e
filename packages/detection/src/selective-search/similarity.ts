import type { Channels } from './image.js';

/** An initial segmentation as selective search sees it: labels, region sizes and bounding rects. */
export interface Segmentation {
  labels: Int32Array;
  count: number;
  /** Per region, OpenCV's cv::Rect: x, y, width, height. */
  rects: Int32Array;
}

/**
 * A similarity between two regions, by region id, and how to update it when they merge: OpenCV's
 * SelectiveSearchSegmentationStrategy. `sizes` is the grouping's live array of region sizes.
 */
export interface Strategy {
  setImage(image: Channels, segmentation: Segmentation, sizes: Int32Array, texture: Uint8Array[]): void;
  get(r1: number, r2: number): number;
  merge(r1: number, r2: number): void;
}

/** Histogram intersection, summed in float32 as OpenCV does. */
function intersection(h: Float32Array, bins: number, r1: number, r2: number): number {
  let sum = 0;
  for (let i = 0, a = r1 * bins, b = r2 * bins; i < bins; i++, a++, b++) sum = Math.fround(sum + Math.min(h[a]!, h[b]!));
  return sum;
}

/** Both regions take the size-weighted average of their histograms. */
function mergeHistograms(h: Float32Array, bins: number, sizes: Int32Array, r1: number, r2: number): void {
  const s1 = sizes[r1]!, s2 = sizes[r2]!;
  const f32 = Math.fround;
  for (let i = 0; i < bins; i++) {
    h[r1 * bins + i] = f32(f32(h[r1 * bins + i]! * s1) + f32(h[r2 * bins + i]! * s2)) / (s1 + s2);
    h[r2 * bins + i] = h[r1 * bins + i]!;
  }
}

/** Per-region histograms before normalisation: `counts` [regions * bins], `totals` [regions]. */
interface RegionCounts {
  bins: number;
  counts: ArrayLike<number>;
  totals: ArrayLike<number>;
}

/** Histogram intersection of normalised per-region histograms, merged size-weighted. */
abstract class HistogramSimilarity implements Strategy {
  #h = new Float32Array(0);
  #bins = 0;
  #sizes: Int32Array = new Int32Array(0);

  protected abstract count(image: Channels, segmentation: Segmentation, texture: Uint8Array[]): RegionCounts;

  setImage(image: Channels, segmentation: Segmentation, sizes: Int32Array, texture: Uint8Array[]): void {
    const { bins, counts, totals } = this.count(image, segmentation, texture);
    this.#bins = bins;
    this.#h = new Float32Array(counts.length);
    for (let i = 0; i < counts.length; i++) this.#h[i] = counts[i]! / totals[Math.floor(i / bins)]!;
    this.#sizes = sizes;
  }

  get(r1: number, r2: number): number {
    return intersection(this.#h, this.#bins, r1, r2);
  }

  merge(r1: number, r2: number): void {
    mergeHistograms(this.#h, this.#bins, this.#sizes, r1, r2);
  }
}

/** Colour: intersection of 25-bin per-channel histograms, normalised over all channels together. */
export class ColorSimilarity extends HistogramSimilarity {
  protected count(image: Channels, { labels, count }: Segmentation): RegionCounts {
    const bins = 25 * image.channels;
    const counts = new Float64Array(count * bins);
    const totals = new Float64Array(count);
    for (let p = 0; p < labels.length; p++) {
      const r = labels[p]!;
      for (let c = 0; c < image.channels; c++) counts[r * bins + c * 25 + Math.floor((image.data[p * image.channels + c]! * 25) / 256)]++;
      totals[r] += image.channels;
    }
    return { bins, counts, totals };
  }
}

/** Texture: intersection of 10-bin histograms of the eight oriented derivatives of each channel. */
export class TextureSimilarity extends HistogramSimilarity {
  protected count(_image: Channels, { labels, count }: Segmentation, texture: Uint8Array[]): RegionCounts {
    const bins = 10 * texture.length;
    const counts = new Int32Array(count * bins);
    const totals = new Int32Array(count);
    for (let p = 0; p < labels.length; p++) {
      const r = labels[p]!;
      for (let t = 0; t < texture.length; t++) counts[r * bins + t * 10 + Math.floor(texture[t]![p]! / 25.6)]++;
      totals[r] += texture.length;
    }
    return { bins, counts, totals };
  }
}

/** Size: 1 - (size1 + size2) / image size, so that small regions merge first. */
export class SizeSimilarity implements Strategy {
  #sizes: Int32Array = new Int32Array(0);
  #imageSize = 1;

  setImage(image: Channels, _segmentation: Segmentation, sizes: Int32Array): void {
    this.#sizes = sizes;
    this.#imageSize = image.height * image.width;
  }

  get(r1: number, r2: number): number {
    return Math.max(Math.min(Math.fround(1 - Math.fround((this.#sizes[r1]! + this.#sizes[r2]!) / this.#imageSize)), 1), 0);
  }

  merge(): void {}
}

/** The union of two cv::Rects (x, y, width, height). */
export function rectUnion(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number): [number, number, number, number] {
  const x = Math.min(a[4 * i]!, b[4 * j]!);
  const y = Math.min(a[4 * i + 1]!, b[4 * j + 1]!);
  const x2 = Math.max(a[4 * i]! + a[4 * i + 2]!, b[4 * j]! + b[4 * j + 2]!);
  const y2 = Math.max(a[4 * i + 1]! + a[4 * i + 3]!, b[4 * j + 1]! + b[4 * j + 3]!);
  return [x, y, x2 - x, y2 - y];
}

/** Fill: 1 - (bounding box of both - size1 - size2) / image size, so that regions that fit together merge first. */
export class FillSimilarity implements Strategy {
  #sizes: Int32Array = new Int32Array(0);
  #imageSize = 1;
  #rects: Int32Array = new Int32Array(0);

  setImage(image: Channels, segmentation: Segmentation, sizes: Int32Array): void {
    this.#sizes = sizes;
    this.#imageSize = image.height * image.width;
    this.#rects = segmentation.rects.slice();
  }

  get(r1: number, r2: number): number {
    const [, , w, h] = rectUnion(this.#rects, r1, this.#rects, r2);
    const gap = w * h - this.#sizes[r1]! - this.#sizes[r2]!;
    return Math.max(Math.min(Math.fround(1 - Math.fround(gap / this.#imageSize)), 1), 0);
  }

  merge(r1: number, r2: number): void {
    const union = rectUnion(this.#rects, r1, this.#rects, r2);
    this.#rects.set(union, 4 * r1);
    this.#rects.set(union, 4 * r2);
  }
}

/** A weighted average of strategies: OpenCV's SelectiveSearchSegmentationStrategyMultiple. */
export class MultipleSimilarity implements Strategy {
  readonly #total: number;

  readonly parts: readonly { strategy: Strategy; weight: number }[];

  /** Weights are float32, as OpenCV holds them. */
  constructor(parts: readonly { strategy: Strategy; weight: number }[]) {
    this.parts = parts.map(({ strategy, weight }) => ({ strategy, weight: Math.fround(weight) }));
    this.#total = this.parts.reduce((t, p) => Math.fround(t + p.weight), 0);
  }

  setImage(image: Channels, segmentation: Segmentation, sizes: Int32Array, texture: Uint8Array[]): void {
    for (const { strategy } of this.parts) strategy.setImage(image, segmentation, sizes, texture);
  }

  get(r1: number, r2: number): number {
    let total = 0;
    for (const { strategy, weight } of this.parts) total = Math.fround(total + Math.fround(weight * strategy.get(r1, r2)));
    return Math.fround(total / this.#total);
  }

  merge(r1: number, r2: number): void {
    for (const { strategy } of this.parts) strategy.merge(r1, r2);
  }
}

/** Equal weights as OpenCV's helpers give them: 0.5, 0.3333 or 0.25 each. */
export function equallyWeighted(...strategies: Strategy[]): MultipleSimilarity {
  const weight = { 1: 1, 2: 0.5, 3: 0.3333, 4: 0.25 }[strategies.length] ?? 1 / strategies.length;
  return new MultipleSimilarity(strategies.map((strategy) => ({ strategy, weight })));
}
