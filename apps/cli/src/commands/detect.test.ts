import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { deterministicStateDict, readNpy, useBackend, writeSafetensors } from '@convkit/core';
import { COCO_V1_CATEGORIES, fasterrcnnResnet50Fpn, rcnnSmall, syntheticShapes, yoloTiny } from '@convkit/detection';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CliError } from '../cli-error.js';
import { encodePng } from '../images.js';
import { selectBackend } from '../setup.js';
import { detectCommand } from './detect.js';

const dir = mkdtempSync(join(tmpdir(), 'convkit-detect-'));
const file = (name: string) => join(dir, name);

function rgbaOf(image: { data: ArrayLike<number>; width: number; height: number }): Uint8Array {
  const out = new Uint8Array(image.width * image.height * 4);
  for (let p = 0; p < image.width * image.height; p++) out.set([image.data[3 * p]!, image.data[3 * p + 1]!, image.data[3 * p + 2]!, 255], 4 * p);
  return out;
}

describe('convkit detect', () => {
  afterEach(() => vi.restoreAllMocks());

  it('draws boxes into a PNG of the input size (scaled) and prints JSON', async () => {
    await selectBackend('wasm');
    const [sample] = syntheticShapes({ count: 1, size: 48, seed: 9 });
    writeFileSync(file('shapes.png'), encodePng(rgbaOf(sample!.image), 48, 48));
    const model = yoloTiny();
    writeFileSync(file('yolo.safetensors'), writeSafetensors(await model.stateDict()));
    model.dispose();
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(console, 'error').mockImplementation(() => {});
    await detectCommand(file('shapes.png'), { model: 'yolo_tiny', weights: file('yolo.safetensors'), out: file('boxes.png'), json: true, backend: 'wasm' });
    const png = PNG.sync.read(readFileSync(file('boxes.png')));
    expect([png.width, png.height]).toEqual([240, 240]); // 48 px scaled 5x to reach 256 at most
    const printed = JSON.parse(String(log.mock.calls[0]![0]));
    expect([printed.width, printed.height, Array.isArray(printed.detections)]).toEqual([48, 48, true]);
  });

  it("builds the model for a checkpoint's classes and names its labels by them", async () => {
    const model = yoloTiny({ numClasses: 2 });
    const tensors = await model.stateDict();
    model.dispose();
    writeFileSync(file('yolo-2.safetensors'), writeSafetensors(tensors));
    writeFileSync(file('yolo-ring-star.safetensors'), writeSafetensors(tensors, { classes: JSON.stringify(['ring', 'star']) }));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(console, 'error').mockImplementation(() => {});
    await expect(detectCommand(file('shapes.png'), { model: 'yolo_tiny', weights: file('yolo-2.safetensors'), json: true, backend: 'wasm' })).rejects.toThrow(/do not fit yolo_tiny/);
    await detectCommand(file('shapes.png'), { model: 'yolo_tiny', weights: file('yolo-ring-star.safetensors'), json: true, backend: 'wasm' });
    const printed = JSON.parse(String(log.mock.calls[0]![0])) as { detections: { label: number; name: string }[] };
    for (const d of printed.detections) expect(d.name).toBe(['ring', 'star'][d.label]);
  });

  it('runs fasterrcnn_resnet50_fpn on a non-square image at its own size: boxes in its pixels, COCO names by torchvision id', async () => {
    // torchvision's fixture image (120x160) and the seeded weights of packages/detection's parity test,
    // scaled by its powers of two so that deterministic weights give detections.
    const fixtures = new URL('../../../../packages/detection/src/rcnn/fixtures/', import.meta.url);
    const npy = readNpy(new Uint8Array(readFileSync(new URL('fasterrcnn.images.0.npy', fixtures))));
    const { scales, seed } = JSON.parse(readFileSync(new URL('fasterrcnn.json', fixtures), 'utf8')) as { scales: Record<string, number>; seed: number };
    const image = { data: npy.data as Uint8Array, height: npy.shape[0]!, width: npy.shape[1]! };
    writeFileSync(file('photo.png'), encodePng(rgbaOf(image), image.width, image.height));
    await useBackend('wasm');
    const reference = fasterrcnnResnet50Fpn({ initWeights: false, transform: { minSize: 96, maxSize: 128 } });
    const weights = deterministicStateDict(reference, seed);
    for (const [name, factor] of Object.entries(scales)) (weights.get(name)!.data as Float32Array).forEach((v, i, data) => (data[i] = v * factor));
    writeFileSync(file('fpn.safetensors'), writeSafetensors(weights));
    reference.loadStateDict(weights);
    const [expected] = await reference.detect([image]);
    reference.dispose();
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(console, 'error').mockImplementation(() => {});
    await detectCommand(file('photo.png'), {
      model: 'fasterrcnn_resnet50_fpn', weights: file('fpn.safetensors'), minSize: '96', maxSize: '128', out: file('fpn.png'), json: true, backend: 'wasm', fuse: false,
    });
    const printed = JSON.parse(String(log.mock.calls[0]![0])) as { width: number; height: number; detections: { label: number; torchvisionLabel: number; name: string; score: number; box: number[] }[] };
    expect([printed.width, printed.height]).toEqual([160, 120]);
    expect(printed.detections.length).toBe(expected!.labels.length);
    expect(printed.detections.length).toBeGreaterThan(0);
    printed.detections.forEach((d, i) => {
      expect(d.label).toBe(expected!.labels[i]);
      expect(d.torchvisionLabel).toBe(d.label + 1);
      expect(d.name).toBe(COCO_V1_CATEGORIES[d.torchvisionLabel]);
      expect(d.score).toBeCloseTo(expected!.scores[i]!, 6);
      expect(d.box).toEqual(Array.from(expected!.boxes.subarray(4 * i, 4 * i + 4)));
    });
    // Boxes in the picture's own pixels, and some beyond the transform's 96-pixel side.
    expect(printed.detections.every((d) => d.box[2]! <= 160 && d.box[3]! <= 120)).toBe(true);
    expect(printed.detections.some((d) => d.box[2]! > 128)).toBe(true);
    const png = PNG.sync.read(readFileSync(file('fpn.png')));
    expect([png.width, png.height]).toEqual([160, 120]); // floor(256 / 160) = 1: not scaled
  }, 120_000);

  it('runs rcnn_small on the whole image: selective search on all of it, boxes anywhere in it', async () => {
    const [sample] = syntheticShapes({ count: 1, size: 96, seed: 3 });
    writeFileSync(file('scene.png'), encodePng(rgbaOf(sample!.image), 96, 96));
    await useBackend('wasm');
    const model = rcnnSmall();
    const weights = deterministicStateDict(model, 2);
    writeFileSync(file('rcnn.safetensors'), writeSafetensors(weights));
    model.loadStateDict(weights);
    const [expected] = await model.detect([sample!.image]);
    model.dispose();
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(console, 'error').mockImplementation(() => {});
    await detectCommand(file('scene.png'), { model: 'rcnn_small', weights: file('rcnn.safetensors'), json: true, backend: 'wasm', fuse: false });
    const printed = JSON.parse(String(log.mock.calls[0]![0])) as { detections: { box: number[] }[] };
    expect(printed.detections.length).toBeGreaterThan(0);
    expect(printed.detections.flatMap((d) => d.box)).toEqual(Array.from(expected!.boxes));
  }, 60_000);

  it('rejects empty images, undecodable files and non-detection models, writing nothing', async () => {
    writeFileSync(file('empty.png'), new Uint8Array(0));
    writeFileSync(file('notes.txt'), 'not an image');
    vi.spyOn(console, 'error').mockImplementation(() => {});
    await expect(detectCommand(file('empty.png'), { model: 'yolo_tiny', out: file('a.png'), backend: 'wasm' })).rejects.toThrow(CliError);
    await expect(detectCommand(file('notes.txt'), { model: 'yolo_tiny', out: file('b.png'), backend: 'wasm' })).rejects.toThrow(/not a PNG or JPEG/);
    await expect(detectCommand(file('notes.txt'), { model: 'nope', out: file('c.png') })).rejects.toThrow(/unknown model/);
    expect(existsSync(file('a.png')) || existsSync(file('b.png'))).toBe(false);
  });
});
