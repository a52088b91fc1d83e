import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { createModel, getModelEntry, readSafetensors, registerModel, useBackend, writeSafetensors } from '@convkit/core';
import { type Segmenter, colorizeMask } from '@convkit/segmentation';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodePng, readImage } from '../images.js';
import { segmentCommand } from './segment.js';

const dir = mkdtempSync(join(tmpdir(), 'convkit-segment-'));
const file = (name: string) => join(dir, name);
const assets = join(import.meta.dirname, '..', '..', '..', '..', 'assets');

function rgba(width: number, height: number): Uint8Array {
  return Uint8Array.from({ length: width * height * 4 }, (_, i) => (i % 4 === 3 ? 255 : (i * 37) % 256));
}

describe('convkit segment', () => {
  beforeAll(() => {
    writeFileSync(file('in.png'), encodePng(rgba(21, 13), 21, 13));
    writeFileSync(file('in.jpg'), jpeg.encode({ data: Buffer.from(rgba(16, 9)), width: 16, height: 9 }, 90).data);
    writeFileSync(file('notes.txt'), 'not an image');
    writeFileSync(file('cut.png'), readFileSync(file('in.png')).subarray(0, 40));
    registerModel({ ...getModelEntry('fcn_tiny'), name: 'fcn_tiny_min16', description: 'test-only: fcn_tiny that claims a 16-pixel minimum', minInputSize: 16 });
  });

  it('writes a colour-coded mask and an overlay of the PNG or JPEG size', async () => {
    await segmentCommand(file('in.png'), { model: 'fcn_tiny', out: file('mask.png'), overlay: file('overlay.png'), heatmap: file('heat.png'), backend: 'wasm' });
    expect(PNG.sync.read(readFileSync(file('heat.png'))).height).toBe(13);
    const mask = PNG.sync.read(readFileSync(file('mask.png')));
    expect([mask.width, mask.height]).toEqual([21, 13]);
    expect(PNG.sync.read(readFileSync(file('overlay.png'))).width).toBe(21);
    await segmentCommand(file('in.jpg'), { model: 'fcn_tiny', out: file('mask-jpg.png'), backend: 'wasm' });
    expect(PNG.sync.read(readFileSync(file('mask-jpg.png'))).height).toBe(9);
  });

  it('rejects files that are not images, nothing written', async () => {
    await expect(segmentCommand(file('notes.txt'), { model: 'fcn_tiny', out: file('x.png') })).rejects.toThrow(/'.*notes.txt' is not a PNG or JPEG image \(it starts with 6e 6f 74/);
    await expect(segmentCommand(file('cut.png'), { model: 'fcn_tiny', out: file('x.png') })).rejects.toThrow(/cannot decode '.*cut.png' as PNG/);
    await expect(segmentCommand(file('missing.png'), { model: 'fcn_tiny', out: file('x.png') })).rejects.toThrow(/no such file/);
    await expect(segmentCommand(file('in.png'), { model: 'resnet18', out: file('x.png') })).rejects.toThrow(/resnet18 is a classification model; segment takes one of: .*fcn_resnet50/);
    await expect(segmentCommand(file('in.png'), { model: 'fcn_tiny', out: file('x.png'), heatmap: file('h.png'), heatmapClass: '4' })).rejects.toThrow(/--heatmap-class 4 is not one of the model's 4 classes/);
    expect(existsSync(file('x.png'))).toBe(false);
  });

  it("rejects images below the model's minimum size", async () => {
    await expect(segmentCommand(file('in.png'), { model: 'fcn_tiny_min16', out: file('x.png'), backend: 'wasm' }))
      .rejects.toThrow(/fcn_tiny_min16 needs an image of at least 16x16 pixels; '.*in.png' is 21x13/);
    expect(existsSync(file('x.png'))).toBe(false);
  });

  it('names the class count of weights made for another one, and takes --num-classes', async () => {
    const model = createModel('fcn_tiny', { numClasses: 7 });
    writeFileSync(file('seven.safetensors'), writeSafetensors(await model.stateDict()));
    model.dispose();
    await expect(segmentCommand(file('in.png'), { model: 'fcn_tiny', weights: file('seven.safetensors'), out: file('x.png'), backend: 'wasm' }))
      .rejects.toThrow(/weights '.*seven.safetensors' are for 7 classes \('.*' has shape \[7, .*\]\), but fcn_tiny was built for 4; pass --num-classes 7/);
    expect(existsSync(file('x.png'))).toBe(false);
    await segmentCommand(file('in.png'), { model: 'fcn_tiny', weights: file('seven.safetensors'), numClasses: '7', out: file('seven.png'), backend: 'wasm' });
    expect(existsSync(file('seven.png'))).toBe(true);
  });

  afterEach(() => vi.restoreAllMocks());

  it("feeds fcn_tiny's bundled weights the shapes sample through the registry's preprocessing: the mask segment() gives", async () => {
    const scene = join(assets, 'images', 'shapes-segmentation.png');
    const weights = join(assets, 'weights', 'fcn_tiny-shapes.safetensors');
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    await segmentCommand(scene, { model: 'fcn_tiny', weights, out: file('shapes.png'), backend: 'wasm' });
    expect(String(log.mock.calls[0]![0])).toMatch(/: 32x32, background \(class 0\) \d+\.\d%, .*(disc|square|triangle) \(class \d\)/);
    await useBackend('wasm');
    const model = createModel('fcn_tiny') as unknown as Segmenter;
    model.loadStateDict(readSafetensors(readFileSync(weights)).tensors);
    const [expected] = await model.segment([await readImage(scene)]);
    model.dispose();
    expect(PNG.sync.read(readFileSync(file('shapes.png'))).data).toEqual(Buffer.from(colorizeMask(expected!.classMap)));
  });

  it("names the classes of a weights file's metadata and builds the model for their count", async () => {
    const model = createModel('fcn_tiny', { numClasses: 3 });
    writeFileSync(file('three.safetensors'), writeSafetensors(await model.stateDict(), { classes: JSON.stringify(['sky', 'road', 'car']) }));
    model.dispose();
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    await segmentCommand(file('in.png'), { model: 'fcn_tiny', weights: file('three.safetensors'), out: file('three.png'), backend: 'wasm' });
    expect(String(log.mock.calls[0]![0])).toMatch(/: 21x13, (sky|road|car) \(class [0-2]\) /);
  });
});
