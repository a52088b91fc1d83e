import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Batch, type CocoDetection, type CocoGroundTruth, evaluateCoco, evaluateVoc } from '@convkit/data';
import type { Detections } from '@convkit/detection';
import { afterAll, describe, expect, it } from 'vitest';
import { convkit } from '../../test/run-cli.js';
import { COCO_CATEGORIES, VOC_LABELS, writeVisionFiles } from '../../test/vision-files.js';
import { type DetectBatch, openDetection, scoreDetections, scoringLoader as detectionLoader } from '../training/detection-files.js';
import { openSegmentation, scoreSegmentation, scoringLoader as segmentationLoader } from '../training/segmentation-files.js';

const work = mkdtempSync(join(tmpdir(), 'convkit-vision-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const files = writeVisionFiles(work);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const shapesDetector = join(repo, 'assets', 'weights', 'fasterrcnn_small-shapes.safetensors');

const noSkips = () => {
  throw new Error('no image of the test data is corrupt');
};

/** The ground truth of each image as its detections, score 1: a perfect detector. */
const perfect: DetectBatch = async (batch: Batch) => batch.targets!.map((t) => ({ boxes: t.boxes!, labels: t.labels!, scores: new Float32Array(t.labels!.length).fill(1) }));

/**
 * A detector that is right about some things: per image, the first object found exactly (score 0.9),
 * the second shifted 3 pixels right (score 0.6), the third missed, plus a false box (score 0.7).
 */
const partly: DetectBatch = async (batch: Batch) => batch.targets!.map((t) => {
  const boxes: number[] = [], labels: number[] = [], scores: number[] = [];
  t.labels!.forEach((label, k) => {
    if (k > 1) return;
    const [x1, y1, x2, y2] = t.boxes!.subarray(4 * k, 4 * k + 4);
    boxes.push(x1! + 3 * k, y1!, x2! + 3 * k, y2!);
    labels.push(label);
    scores.push(k === 0 ? 0.9 : 0.6);
  });
  boxes.push(1, 1, 11, 9);
  labels.push(1);
  scores.push(0.7);
  return { boxes: Float32Array.from(boxes), labels: Int32Array.from(labels), scores: Float32Array.from(scores) };
});

describe('scoring detections and masks read from files', () => {
  it('a perfect detector scores AP 1 on COCO (crowd region, an image without objects, category ids with gaps) and VOC (a difficult object)', async () => {
    for (const [path, variant] of [[files.cocoVal, 'voc2010-allpoints'], [files.voc, 'voc2010-allpoints']] as const) {
      const data = openDetection(path, 'val');
      const loader = detectionLoader(data, 4, false, noSkips);
      const scores = await scoreDetections(data, loader, perfect);
      await loader.close();
      expect(scores).toMatchObject({ ap: 1, ap50: 1, ap75: 1, ar100: 1, vocAp: 1, vocApVariant: variant, count: 6 });
    }
  });

  it('the COCO summary and VOC mAP of a partly right detector equal evaluateCoco and evaluateVoc on the files as the test reads them', async () => {
    const data = openDetection(files.cocoVal, 'val');
    const loader = detectionLoader(data, 4, false, noSkips);
    const scores = await scoreDetections(data, loader, partly);
    await loader.close();
    // The same detections and ground truth, built here from the JSON alone.
    const json = JSON.parse(readFileSync(files.cocoVal, 'utf8')) as CocoGroundTruth & { annotations: { image_id: number; category_id: number; bbox: number[]; iscrowd: number }[] };
    const label = (categoryId: number) => COCO_CATEGORIES.findIndex((c) => c.id === categoryId);
    const truths = json.images.map((im) => json.annotations.filter((a) => a.image_id === im.id));
    const found: Detections[] = await partly({
      indices: new Int32Array(0),
      targets: truths.map((objects) => ({
        boxes: Float32Array.from(objects.flatMap((a) => [a.bbox[0]!, a.bbox[1]!, a.bbox[0]! + a.bbox[2]!, a.bbox[1]! + a.bbox[3]!])),
        labels: Int32Array.from(objects, (a) => label(a.category_id)),
      })),
    });
    const detections: CocoDetection[] = found.flatMap((d, i) => [...d.labels].map((l, k) => ({
      image_id: json.images[i]!.id, category_id: COCO_CATEGORIES[l]!.id, score: d.scores[k]!,
      bbox: [d.boxes[4 * k]!, d.boxes[4 * k + 1]!, d.boxes[4 * k + 2]! - d.boxes[4 * k]!, d.boxes[4 * k + 3]! - d.boxes[4 * k + 1]!] as [number, number, number, number],
    })));
    const coco = evaluateCoco(json, detections);
    expect(coco.ap).toBeGreaterThan(0.2);
    expect(coco.ap).toBeLessThan(0.9);
    for (const key of ['ap', 'ap50', 'ap75', 'apSmall', 'apMedium', 'apLarge', 'ar100'] as const) expect(scores[key], key).toBeCloseTo(coco[key], 12);
    const voc = evaluateVoc(found, truths.map((objects) => ({
      boxes: objects.flatMap((a) => [a.bbox[0]!, a.bbox[1]!, a.bbox[0]! + a.bbox[2]!, a.bbox[1]! + a.bbox[3]!]),
      labels: objects.map((a) => label(a.category_id)),
      difficult: objects.map((a) => a.iscrowd ?? 0),
    })), { numClasses: 3 });
    expect(scores.vocAp).toBeCloseTo(voc.map, 12);
  });

  it('VOC boxes: the devkit\'s 1-based pixels become continuous ones, a difficult object neither counts nor penalises; VOC2007 roots get 11-point AP', async () => {
    const data = openDetection(files.voc, 'val');
    const loader = detectionLoader(data, 4, false, noSkips);
    const scores = await scoreDetections(data, loader, partly);
    await loader.close();
    const truths = files.vocDetection.val.map((s, i) => ({
      boxes: s.boxes, labels: Int32Array.from(s.labels, (l) => VOC_LABELS[l]!), difficult: Uint8Array.from(s.labels, (_, k) => (i === 0 && k === 0 ? 1 : 0)),
    }));
    const found = await partly({ indices: new Int32Array(0), targets: truths });
    expect(scores.vocAp).toBeCloseTo(evaluateVoc(found, truths, { numClasses: 20 }).map, 12);
    // A VOC2007 root is scored with VOC2007's 11-point AP, as py-faster-rcnn chooses by year.
    const voc2007 = join(dirname(files.voc), 'VOC2007');
    cpSync(files.voc, voc2007, { recursive: true });
    const data2007 = openDetection(voc2007, 'val');
    const loader2007 = detectionLoader(data2007, 4, false, noSkips);
    const scores2007 = await scoreDetections(data2007, loader2007, partly);
    await loader2007.close();
    expect(scores2007.vocApVariant).toBe('voc2007-11point');
    expect(scores2007.vocAp).toBeCloseTo(evaluateVoc(found, truths, { numClasses: 20, use07Metric: true }).map, 12);
    expect(scores2007.vocAp).not.toBeCloseTo(scores.vocAp!, 6);
  });

  it('a perfect segmenter scores pixel accuracy and mean IoU 1 on VOC palette masks, the 255 border ignored, absent classes null', async () => {
    const data = openSegmentation(files.voc, 'val');
    const loader = segmentationLoader(data, false, noSkips);
    let voids = 0;
    const scores = await scoreSegmentation(data.classes, loader, async (batch) => Int32Array.from(batch.masks!, (c) => {
      if (c !== 255) return c;
      voids++;
      // Wrong on every void pixel, which must not count.
      return 20;
    }));
    await loader.close();
    expect(voids).toBeGreaterThan(0);
    expect(scores).toMatchObject({ pixelAccuracy: 1, meanIou: 1, count: 6 });
    const present = ['background', 'aeroplane', 'cat', 'person'];
    expect(Object.keys(scores.perClassIou)).toHaveLength(21);
    for (const [name, iou] of Object.entries(scores.perClassIou)) expect(iou, name).toBe(present.includes(name) ? 1 : null);
  });
});

describe('convkit eval on detection and segmentation files', () => {
  it('scores the bundled shapes Faster R-CNN on a COCO instances file: one JSON object with the COCO and VOC numbers in range, or a short table', async () => {
    const r = await convkit('eval', '--model', 'fasterrcnn_small', '--weights', shapesDetector, '--data', files.cocoVal, '--json', '--backend', 'wasm');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(result).sort()).toEqual([
      'ap', 'ap50', 'ap75', 'apLarge', 'apMedium', 'apSmall', 'ar100', 'count', 'data', 'model', 'split', 'task', 'vocAp', 'vocApVariant', 'weights',
    ]);
    expect(result).toMatchObject({ task: 'detection', model: 'fasterrcnn_small', split: null, count: 6, vocApVariant: 'voc2010-allpoints' });
    for (const key of ['ap', 'ap50', 'ap75', 'ar100', 'vocAp'] as const) {
      expect(result[key] as number, key).toBeGreaterThanOrEqual(0);
      expect(result[key] as number, key).toBeLessThanOrEqual(1);
    }
    // Trained on the same synthetic shapes: it finds them.
    expect(result.ap50 as number).toBeGreaterThan(0.5);
    const table = await convkit('eval', '--model', 'fasterrcnn_small', '--weights', shapesDetector, '--data', files.cocoVal, '--backend', 'wasm');
    expect(table.stdout).toContain(`AP  IoU .50:.95`);
    expect(table.stdout).toContain(`${(100 * (result.ap as number)).toFixed(2)}%`);
    expect(table.stdout).toMatch(/VOC mAP@0\.5 \(voc2010-allpoints\)/);
  }, 120_000);
});
