import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { expectClose, liveTensors, testBackends, useBackend } from '@convkit/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { AnchorGenerator } from './anchors.js';
import { BoxCoder } from './box-coder.js';
import { type BoxFormat, boxArea, boxConvert, boxIou, clipBoxesToImage, removeSmallBoxes } from './boxes.js';
import { BalancedPositiveNegativeSampler, Matcher } from './matcher.js';
import { batchedNms, nms, nmsHost } from './nms.js';
import { roiAlign } from './roi-align.js';
import { roiPool } from './roi-pool.js';

/**
 * Every op against torchvision 0.14 (fixtures from tools/fixtures/make_detection_fixtures.py), on every
 * backend. Ops made of float32 adds, multiplies, divides, min and max, and the host-side ones (NMS,
 * anchors, matching, RoI pooling's selection) must agree bit for bit. Ops with exp or log (the box coder)
 * are held to 1e-6 of the largest value, since exp and log differ by an ulp between libraries. RoI Align
 * sums its samples in another order (rows, then columns): held to 1e-5 of the largest output, as is its
 * gradient with respect to the features.
 */
type Json = number | string | Json[] | { [key: string]: Json };
interface Fixture<T> { torch: string; torchvision: string; cases: T[] }
type Nested = number | Nested[];

const fixtures = new URL('./fixtures/', import.meta.url);
function load<T>(name: string): T[] {
  const special: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };
  const text = readFileSync(new URL(`${name}.json`, fixtures), 'utf8');
  return (JSON.parse(text, (_, v: Json) => (typeof v === 'string' && v in special ? special[v] : v)) as Fixture<T>).cases;
}

function shapeOf(value: Nested): number[] {
  return Array.isArray(value) ? [value.length, ...(value.length ? shapeOf(value[0]!) : [])] : [];
}
function flat(value: Nested): number[] {
  return Array.isArray(value) ? value.flatMap(flat) : [value];
}
/** A fixture array as a float32 tensor; `emptyShape` gives the shape where the list is empty. */
function tensor<R extends tf.Rank>(value: Nested, emptyShape?: number[]): tf.Tensor<R> {
  const shape: number[] = (value as Nested[]).length === 0 && emptyShape ? emptyShape : shapeOf(value);
  return tf.tensor(flat(value), shape, 'float32') as unknown as tf.Tensor<R>;
}

/** Bit-for-bit equality of float32 values, NaN equal to NaN. */
function expectExact(actual: ArrayLike<number>, expected: Nested, what: string): void {
  const want = Float32Array.from(flat(expected));
  expect(actual.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(actual[i], want[i]) && !(actual[i] === want[i])) {
      throw new Error(`${what}: element ${i} is ${actual[i]}, torchvision has ${want[i]}`);
    }
  }
}

interface BoxCase {
  name: string; boxes: Nested; others: Nested; area: Nested; iou: Nested; iou_self: Nested; iou_empty: Nested;
  clip: { size: [number, number]; boxes: Nested }; remove_small: { min_size: number; keep: number[] };
  convert: Record<string, Nested>;
}
interface CoderCase { weights: [number, number, number, number]; reference: Nested; proposals: Nested; targets: Nested; rel_codes: Nested; boxes: Nested; decoded: Nested }
interface NmsCase { name: string; threshold: number; boxes: Nested; scores: number[]; idxs: number[]; keep: number[]; batched_keep: number[]; batched_vanilla_keep: number[] }
interface PoolCase { features: Nested; rois: Nested; output_size: [number, number]; spatial_scale: number; output: Nested }
interface AlignCase extends PoolCase { sampling_ratio: number; aligned: boolean; probe: Nested; grad: Nested }
interface AnchorCase { sizes: number[][]; aspect_ratios: number[][]; image_size: [number, number]; feature_sizes: [number, number][]; cell_anchors: Nested[]; num_anchors_per_location: number[]; anchors: Nested }
interface MatcherCase { high: number; low: number; allow_low_quality_matches: boolean; quality: Nested; matches: number[] }
interface SamplerCase { labels: number[]; batch_size_per_image: number; positive_fraction: number; num_pos: number; num_neg: number }

const boxCases = load<BoxCase>('boxes');
const coderCases = load<CoderCase>('box-coder');
const nmsCases = load<NmsCase>('nms');
const poolCases = load<PoolCase>('roi-pool');
const alignCases = load<AlignCase>('roi-align');
const anchorCases = load<AnchorCase>('anchors');
const matcherCases = load<MatcherCase>('matcher');
const samplerCases = load<SamplerCase>('sampler');

const backends = await testBackends();

describe.each(backends)('detection ops on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each(boxCases)('box area, IoU, conversion, clipping, small-box removal: $name boxes', async (c) => {
    const before = liveTensors();
    const boxes = tensor<tf.Rank.R2>(c.boxes, [0, 4]);
    const others = tensor<tf.Rank.R2>(c.others, [0, 4]);
    const none = tf.zeros([0, 4]) as tf.Tensor2D;
    const check = async (t: tf.Tensor, expected: Nested, what: string) => {
      expectExact(await t.data(), expected, what);
      t.dispose();
    };
    await check(boxArea(boxes), c.area, 'box_area');
    await check(boxIou(boxes, others), c.iou, 'box_iou');
    await check(boxIou(boxes, boxes), c.iou_self, 'box_iou with itself');
    const empty = boxIou(boxes, none);
    expect(empty.shape).toEqual([boxes.shape[0], 0]);
    empty.dispose();
    await check(clipBoxesToImage(boxes, c.clip.size), c.clip.boxes, 'clip_boxes_to_image');
    const keep = await removeSmallBoxes(boxes, c.remove_small.min_size);
    expect(keep.dtype).toBe('int32');
    expect(Array.from(await keep.data())).toEqual(c.remove_small.keep);
    keep.dispose();
    for (const [pair, expected] of Object.entries(c.convert)) {
      const [from, to] = pair.split('>') as [BoxFormat, BoxFormat];
      await check(boxConvert(boxes, from, to), expected, `box_convert ${pair}`);
    }
    tf.dispose([boxes, others, none]);
    expect(liveTensors()).toBe(before);
  });

  it.each(coderCases)('BoxCoder encode and decode with weights $weights', async (c) => {
    const coder = new BoxCoder(c.weights);
    const targets = coder.encode(tensor(c.reference, [0, 4]), tensor(c.proposals, [0, 4]));
    const decoded = coder.decode(tensor(c.rel_codes, [0, 4]), tensor(c.boxes, [0, 4]));
    expectClose(await targets.data(), flat(c.targets), 1e-6, 'encode');
    expectClose(await decoded.data(), flat(c.decoded), 1e-6, 'decode');
    expect(decoded.shape).toEqual(shapeOf(c.decoded).length === 2 ? shapeOf(c.decoded) : [0, 4]);
    expectClose(coder.decodeHost(Float32Array.from(flat(c.rel_codes)), Float32Array.from(flat(c.boxes))), flat(c.decoded), 1e-6, 'decodeHost');
    tf.dispose([targets, decoded]);
  });

  it.each(nmsCases)('nms and batched_nms: $name at IoU $threshold', async (c) => {
    const boxes = tensor<tf.Rank.R2>(c.boxes, [0, 4]);
    const scores = tf.tensor1d(c.scores);
    const idxs = tf.tensor1d(c.idxs, 'int32');
    const keep = await nms(boxes, scores, c.threshold);
    expect(keep.dtype).toBe('int32');
    expect(Array.from(await keep.data())).toEqual(c.keep);
    const batched = Array.from(await (await batchedNms(boxes, scores, idxs, c.threshold)).data());
    expect(batched).toEqual(c.batched_keep);
    // torchvision's per-class path (used above 1000 boxes) keeps the same set; its last sort is not stable.
    expect([...batched].sort((a, b) => a - b)).toEqual([...c.batched_vanilla_keep].sort((a, b) => a - b));
  });

  it('nms drops boxes with NaN scores and otherwise behaves as on the remaining boxes', () => {
    const c = nmsCases.find((x) => x.name === 'random')!;
    const scores = Float32Array.from(c.scores);
    const poisoned = scores.slice();
    for (const i of [c.keep[0]!, c.keep[3]!, 5]) poisoned[i] = NaN;
    const boxes = flat(c.boxes);
    const kept = Array.from(nmsHost(boxes, poisoned, c.threshold));
    const remaining = [...scores.keys()].filter((i) => !Number.isNaN(poisoned[i]!));
    const reference = Array.from(nmsHost(remaining.flatMap((i) => boxes.slice(4 * i, 4 * i + 4)), remaining.map((i) => scores[i]!), c.threshold));
    expect(kept).toEqual(reference.map((i) => remaining[i]));
    expect(kept.some((i) => Number.isNaN(poisoned[i]!))).toBe(false);
  });

  it.each(poolCases.map((c, i) => ({ ...c, i })))('roi_pool case $i: output $output_size, scale $spatial_scale', async (c) => {
    const before = liveTensors();
    const features = tensor<tf.Rank.R4>(c.features);
    const rois = tensor<tf.Rank.R2>(c.rois, [0, 5]);
    const out = roiPool(features, rois, c.output_size, c.spatial_scale);
    expect(out.shape).toEqual([rois.shape[0], ...c.output_size, features.shape[3]]);
    expectExact(await out.data(), c.output, 'roi_pool');
    tf.dispose([features, rois, out]);
    expect(liveTensors()).toBe(before);
  });

  it.each(alignCases.map((c, i) => ({ ...c, i })))(
    'roi_align case $i: output $output_size, scale $spatial_scale, sampling $sampling_ratio, aligned $aligned, and its gradient',
    async (c) => {
      const before = liveTensors();
      const features = tensor<tf.Rank.R4>(c.features);
      const rois = tensor<tf.Rank.R2>(c.rois);
      const probe = tensor<tf.Rank.R4>(c.probe);
      const options = { spatialScale: c.spatial_scale, samplingRatio: c.sampling_ratio, aligned: c.aligned };
      const out = roiAlign(features, rois, c.output_size, options);
      expectClose(await out.data(), flat(c.output), 1e-5, 'roi_align');
      const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(roiAlign(x as tf.Tensor4D, rois, c.output_size, options), probe)))(features);
      expectClose(await grad.data(), flat(c.grad), 1e-5, 'roi_align gradient');
      tf.dispose([features, rois, probe, out, grad]);
      expect(liveTensors()).toBe(before);
    },
  );

  it('roi_pool passes gradients to the maximum of each bin', async () => {
    const features = tf.tensor4d([1, 5, 2, 3, 4, 0, 7, 1, 2], [1, 3, 3, 1]);
    const grad = tf.grad((x: tf.Tensor) => tf.sum(roiPool(x as tf.Tensor4D, tf.tensor2d([[0, 0, 0, 2, 2]]), 2)))(features);
    // The RoI spans 3 cells, bins [0, 2) and [1, 3) along each axis: maxima 5, 5, 7 and 4.
    expect(Array.from(await grad.data())).toEqual([0, 2, 0, 0, 1, 0, 1, 0, 0]);
  });

  it('RoI ops take no RoIs, and refuse batch indices the features do not have', async () => {
    const features = tf.randomNormal([2, 5, 6, 3]) as tf.Tensor4D;
    expect(roiAlign(features, tf.zeros([0, 5]) as tf.Tensor2D, [2, 3]).shape).toEqual([0, 2, 3, 3]);
    expect(roiPool(features, tf.zeros([0, 5]) as tf.Tensor2D, 2).shape).toEqual([0, 2, 2, 3]);
    const bad = tf.tensor2d([[2, 0, 0, 4, 4]]);
    expect(() => roiAlign(features, bad, 2)).toThrow(/roi 0 has batch index 2, but features hold 2 images/);
    expect(() => roiPool(features, tf.tensor2d([[0, 0, 0, 1, 1]]), [0, 2])).toThrow(/outputSize must be positive integers/);
    const poolOnce = roiPool(features, tf.tensor2d([[1, -50, -50, -40, -40]]), 2);
    expect(Array.from(await poolOnce.data()).every((v) => v === 0)).toBe(true); // wholly outside: empty bins
  });

  it.each(anchorCases)('AnchorGenerator sizes $sizes, ratios $aspect_ratios', async (c) => {
    const generator = new AnchorGenerator(c.sizes, c.aspect_ratios);
    generator.cellAnchors.forEach((cell, l) => expectExact(cell, c.cell_anchors[l]!, `cell anchors of level ${l}`));
    expect(generator.numAnchorsPerLocation()).toEqual(c.num_anchors_per_location);
    const anchors = generator.generate(c.image_size, c.feature_sizes);
    expect(anchors.shape).toEqual(shapeOf(c.anchors));
    expectExact(await anchors.data(), c.anchors, 'anchors');
    anchors.dispose();
  });

  it.each(matcherCases)('Matcher high $high low $low allowLowQuality $allow_low_quality_matches', async (c) => {
    const matcher = new Matcher(c.high, c.low, c.allow_low_quality_matches);
    const matches = await matcher.match(tensor(c.quality));
    expect(Array.from(await matches.data())).toEqual(c.matches);
    expect(Array.from(matcher.matchHost([], 0, 3))).toEqual([-1, -1, -1]);
    expect(matcher.matchHost([], 2, 0).length).toBe(0);
  });

  it.each(samplerCases)('BalancedPositiveNegativeSampler $batch_size_per_image x $positive_fraction', async (c) => {
    const sampler = new BalancedPositiveNegativeSampler(c.batch_size_per_image, c.positive_fraction, 7);
    const { positive, negative } = await sampler.sample(tf.tensor1d(c.labels, 'int32'));
    const pos = Array.from(await positive.data());
    const neg = Array.from(await negative.data());
    expect(pos.reduce((a, b) => a + b, 0)).toBe(c.num_pos);
    expect(neg.reduce((a, b) => a + b, 0)).toBe(c.num_neg);
    c.labels.forEach((label, i) => {
      if (pos[i]) expect(label).toBeGreaterThanOrEqual(1);
      if (neg[i]) expect(label).toBe(0);
    });
    const again = new BalancedPositiveNegativeSampler(c.batch_size_per_image, c.positive_fraction, 7).sampleHost(c.labels);
    expect(Array.from(again.positive)).toEqual([...pos.keys()].filter((i) => pos[i]));
  });
});
