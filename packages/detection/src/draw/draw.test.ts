import { describe, expect, it } from 'vitest';
import { drawDetections } from './draw.js';

const image = { data: new Uint8Array(10 * 12 * 3).fill(50), height: 10, width: 12 };
const pixel = (out: { data: Uint8Array; width: number }, x: number, y: number) => Array.from(out.data.subarray((y * out.width + x) * 4, (y * out.width + x) * 4 + 4));

describe('drawDetections', () => {
  it('outlines each box in its label colour and keeps the rest of the picture', () => {
    const out = drawDetections(image, { boxes: Float32Array.of(2, 7, 6, 10), scores: Float32Array.of(0.9), labels: Int32Array.of(1) }, { classNames: ['a', 'b'] });
    expect([out.width, out.height, out.data.length]).toEqual([12, 10, 480]);
    expect(pixel(out, 2, 9)).toEqual([0, 255, 255, 255]); // bottom-left corner, label 1's cyan
    expect(pixel(out, 5, 9)).toEqual([0, 255, 255, 255]);
    expect(pixel(out, 11, 8)).toEqual([50, 50, 50, 255]);
    expect(pixel(out, 0, 0)).toEqual([0, 255, 255, 255]); // the tag above the box, moved inside the picture
  });

  it('upscales, clips boxes outside the image, and skips NaN, low scores and degenerate boxes', () => {
    const detections = {
      boxes: Float32Array.of(-5, -5, 30, 30, 1, 1, 1, 1, NaN, 0, 3, 3, 0, 0, 4, 4),
      scores: Float32Array.of(0.8, 0.9, 0.9, NaN),
      labels: Int32Array.of(0, 0, 0, 2),
    };
    const out = drawDetections(image, detections, { scale: 2 });
    expect([out.width, out.height]).toEqual([24, 20]);
    const empty = drawDetections(image, { boxes: new Float32Array(0), scores: new Float32Array(0), labels: new Int32Array(0) }, { scale: 2 });
    expect(pixel(empty, 23, 19)).toEqual([50, 50, 50, 255]);
    expect(drawDetections({ data: new Uint8Array(0), height: 0, width: 0 }, detections).data.length).toBe(0);
  });
});
