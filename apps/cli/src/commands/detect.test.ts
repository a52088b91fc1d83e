import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { writeSafetensors } from '@convkit/core';
import { syntheticShapes, yoloTiny } from '@convkit/detection';
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
