import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors } from '@convkit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { convkit } from '../../test/run-cli.js';
import { writeVisionFiles } from '../../test/vision-files.js';

const work = mkdtempSync(join(tmpdir(), 'convkit-train-vision-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const files = writeVisionFiles(work);

interface Epoch {
  epoch: number;
  loss: number | null;
  metric: number;
}
const historyOf = (checkpoint: string) => JSON.parse(readSafetensors(readFileSync(checkpoint)).metadata.history!) as Epoch[];

/**
 * `convkit train` on a VOC root and a COCO instances file the test writes (see test/vision-files.ts),
 * with the checkpoint, resume and loss-curve behaviour of the bundled sets; `convkit eval` on the
 * checkpoints scores the same held-out split the same way.
 */
describe('convkit train on detection and segmentation files', () => {
  it('trains fcn_tiny on a VOC root\'s SegmentationClass masks (21 classes, val held out), and eval gives the checkpoint\'s mean IoU', async () => {
    const out = join(work, 'fcn');
    const r = await convkit('train', '--model', 'fcn_tiny', '--data', files.voc, '--epochs', '2', '--out', out, '--backend', 'wasm');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/a Pascal VOC root, 16 images with masks of 21 classes, 6 held out/);
    expect(r.stdout).toMatch(/held-out mean IoU/);
    const checkpoint = join(out, 'checkpoints', 'fcn_tiny-VOC2012-epoch2.safetensors');
    expect(existsSync(join(out, 'loss.png'))).toBe(true);
    const history = historyOf(checkpoint);
    expect(history.map((h) => h.epoch)).toEqual([0, 1, 2]);
    expect(history[2]!.loss!).toBeLessThan(history[1]!.loss!);
    expect(JSON.parse(readSafetensors(readFileSync(checkpoint)).metadata.classes!)).toHaveLength(21);

    const evaluated = await convkit('eval', '--model', 'fcn_tiny', '--weights', checkpoint, '--data', files.voc, '--json', '--backend', 'wasm');
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const result = JSON.parse(evaluated.stdout) as { perClassIou: Record<string, number | null> } & Record<string, unknown>;
    expect(Object.keys(result).sort()).toEqual(['count', 'data', 'meanIou', 'model', 'perClassIou', 'pixelAccuracy', 'split', 'task', 'weights']);
    expect(result).toMatchObject({ task: 'segmentation', split: 'val', count: 6 });
    expect(result.meanIou).toBeCloseTo(history[2]!.metric, 12);
    expect(result.pixelAccuracy as number).toBeGreaterThan(0);
    expect(result.pixelAccuracy as number).toBeLessThanOrEqual(1);
    expect(Object.keys(result.perClassIou)).toHaveLength(21);
    for (const iou of Object.values(result.perClassIou)) if (iou !== null) expect(iou >= 0 && iou <= 1).toBe(true);
    const train = JSON.parse((await convkit('eval', '--model', 'fcn_tiny', '--weights', checkpoint, '--data', files.voc, '--split', 'train', '--json', '--backend', 'wasm')).stdout);
    expect(train).toMatchObject({ split: 'train', count: 16 });
  }, 120_000);

  it('trains fasterrcnn_small on COCO instances files (--val the other file), and eval gives the checkpoint\'s VOC mAP', async () => {
    const out = join(work, 'frcnn');
    const r = await convkit('train', '--model', 'fasterrcnn_small', '--data', files.cocoTrain, '--val', files.cocoVal, '--epochs', '1', '--out', out, '--backend', 'wasm');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/COCO annotations, 12 images with boxes of 3 classes, 6 held out from/);
    const checkpoint = join(out, 'checkpoints', 'fasterrcnn_small-instances_train-epoch1.safetensors');
    expect(JSON.parse(readSafetensors(readFileSync(checkpoint)).metadata.classes!)).toEqual(['disc', 'square', 'triangle']);
    const evaluated = JSON.parse((await convkit('eval', '--model', 'fasterrcnn_small', '--weights', checkpoint, '--data', files.cocoVal, '--json', '--backend', 'wasm')).stdout);
    expect(evaluated).toMatchObject({ task: 'detection', split: null, count: 6 });
    expect(evaluated.vocAp).toBeCloseTo(historyOf(checkpoint).at(-1)!.metric, 12);
  }, 120_000);

  it('yolo_tiny on a VOC root\'s boxes: a run resumed from epoch 1 repeats the uninterrupted one exactly', async () => {
    const train = (out: string, epochs: string, ...more: string[]) =>
      convkit('train', '--model', 'yolo_tiny', '--data', files.voc, '--epochs', epochs, '--batch-size', '4', '--out', join(work, out), '--backend', 'wasm', ...more);
    const whole = await train('yolo-whole', '2');
    expect(whole.code, whole.stderr).toBe(0);
    expect(whole.stdout).toMatch(/a Pascal VOC root, 12 images with boxes of 20 classes, 6 held out/);
    expect((await train('yolo-half', '1')).code).toBe(0);
    const resumed = await train('yolo-half', '2', '--resume', join(work, 'yolo-half', 'checkpoints', 'yolo_tiny-VOC2012-epoch1.safetensors'));
    expect(resumed.code, resumed.stderr).toBe(0);
    const [a, b] = ['yolo-whole', 'yolo-half'].map((run) => historyOf(join(work, run, 'checkpoints', 'yolo_tiny-VOC2012-epoch2.safetensors')));
    expect(b).toEqual(a);
    expect(JSON.parse(readFileSync(join(work, 'yolo-half', 'loss.json'), 'utf8')).epochs).toHaveLength(3);
  }, 120_000);
});
