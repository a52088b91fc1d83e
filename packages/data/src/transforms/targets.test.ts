import { describe, expect, it } from 'vitest';
import type { Image } from '../image.js';
import { seededRandom } from '../random.js';
import { CenterCrop } from './center-crop.js';
import { Grayscale } from './grayscale.js';
import { Compose } from './compose.js';
import { Pad } from './pad.js';
import { RandomHorizontalFlip } from './random-horizontal-flip.js';
import { RandomResizedCrop, randomResizedCropParams } from './random-resized-crop.js';
import { Resize } from './resize.js';
import { ToTensor } from './to-tensor.js';
import type { Sample } from './transform.js';

/** A 10x20 picture whose only lit pixels are a box's interior, with a mask of class 3 over the same box. */
function scene(): Sample {
  const image: Image<Uint8Array> = { data: new Uint8Array(10 * 20 * 3), height: 10, width: 20, channels: 3 };
  const mask: Image<Uint8Array> = { data: new Uint8Array(10 * 20), height: 10, width: 20, channels: 1 };
  for (let y = 2; y < 6; y++) {
    for (let x = 4; x < 12; x++) {
      image.data.fill(200, (y * 20 + x) * 3, (y * 20 + x) * 3 + 3);
      mask.data[y * 20 + x] = 3;
    }
  }
  return { image, mask, boxes: Float32Array.from([4, 2, 12, 6, 18, 0, 20, 1]), labels: Int32Array.from([3, 5]), crowd: Uint8Array.from([0, 1]) };
}

/** The bounding box of the mask's class-3 pixels, (x1, y1, x2, y2). */
function maskBox(mask: Image<Uint8Array>): number[] {
  let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
  for (let y = 0; y < mask.height; y++) for (let x = 0; x < mask.width; x++) if (mask.data[y * mask.width + x] === 3) [x1, y1, x2, y2] = [Math.min(x1, x), Math.min(y1, y), Math.max(x2, x + 1), Math.max(y2, y + 1)];
  return [x1, y1, x2, y2];
}

describe('boxes and masks move with the image', () => {
  it('flip mirrors boxes as x -> W - x and the mask with the pixels', () => {
    const out = new RandomHorizontalFlip(1).apply(scene(), seededRandom(0));
    expect(Array.from(out.boxes!)).toEqual([8, 2, 16, 6, 0, 0, 2, 1]);
    expect(maskBox(out.mask!)).toEqual([8, 2, 16, 6]);
    expect(out.image.data[(2 * 20 + 8) * 3]).toBe(200);
    expect(new RandomHorizontalFlip(0).apply(scene(), seededRandom(0)).boxes![0]).toBe(4);
  });

  it('resize scales boxes by the size ratio and resizes the mask nearest, keeping class ids', () => {
    const out = new Resize([20, 10]).apply(scene());
    expect(Array.from(out.boxes!)).toEqual([2, 4, 6, 12, 9, 0, 10, 2]);
    expect(maskBox(out.mask!)).toEqual([2, 4, 6, 12]);
    expect(new Set(out.mask!.data)).toEqual(new Set([0, 3]));
  });

  it('crops shift and clip boxes, drop the empty ones with their labels, and pad masks with 255', () => {
    const out = new CenterCrop([12, 10]).apply(scene());
    // Window: top -1 (padded), left 5; box 1 clipped to x 0..7, box 2 (x 18..20) falls outside.
    expect(Array.from(out.boxes!)).toEqual([0, 3, 7, 7]);
    expect(Array.from(out.labels!)).toEqual([3]);
    expect(Array.from(out.crowd!)).toEqual([0]);
    expect(maskBox(out.mask!)).toEqual([0, 3, 7, 7]);
    expect(out.mask!.data[0]).toBe(255);
    const padded = new Pad([1, 2]).apply(scene());
    expect(Array.from(padded.boxes!.subarray(0, 4))).toEqual([5, 4, 13, 8]);
    expect(maskBox(padded.mask!)).toEqual([5, 4, 13, 8]);
  });

  it('RandomResizedCrop is reproducible from the seed and keeps its windows inside the allowed area and ratio', () => {
    const t = new Compose([new RandomResizedCrop(8, [0.2, 0.9], [0.5, 2]), new RandomHorizontalFlip(), new ToTensor()]);
    const a = t.apply(scene(), seededRandom(5, 1, 2)), b = t.apply(scene(), seededRandom(5, 1, 2)), c = t.apply(scene(), seededRandom(6, 1, 2));
    expect(Array.from(a.image.data)).toEqual(Array.from(b.image.data));
    expect(Array.from(a.image.data)).not.toEqual(Array.from(c.image.data));
    expect([a.image.height, a.image.width, a.mask!.height]).toEqual([8, 8, 8]);
    const random = seededRandom(1);
    for (let i = 0; i < 200; i++) {
      const [top, left, h, w] = randomResizedCropParams(100, 150, [0.2, 0.9], [0.5, 2], random);
      expect(top >= 0 && left >= 0 && top + h <= 100 && left + w <= 150).toBe(true);
      // Rounding to whole pixels can move the area and ratio a little past the bounds.
      expect(h * w).toBeGreaterThanOrEqual(0.2 * 15000 * 0.95);
      expect(h * w).toBeLessThanOrEqual(0.9 * 15000 * 1.05);
      expect(w / h).toBeGreaterThan(0.5 * 0.9);
      expect(w / h).toBeLessThan(2 * 1.1);
    }
    // No window of ratio 10..20 fits a square: the fallback is the widest centred crop of ratio 10.
    expect(randomResizedCropParams(50, 50, [0.9, 1], [10, 20], seededRandom(0))).toEqual([22, 0, 5, 50]);
  });
});

describe('Grayscale of a one-channel image', () => {
  it("keeps it, or repeats it over three channels as torchvision's PIL path does", () => {
    const image = { data: Uint8Array.from([7, 200]), height: 1, width: 2, channels: 1 };
    expect(Array.from(new Grayscale(3).apply({ image }).image.data)).toEqual([7, 7, 7, 200, 200, 200]);
    expect(new Grayscale().apply({ image }).image.data).toEqual(image.data);
    expect(() => new Grayscale().apply({ image: { ...image, data: new Uint8Array(4), channels: 2 } })).toThrow('Grayscale needs a 1- or 3-channel image, got 2 channels');
  });
});
