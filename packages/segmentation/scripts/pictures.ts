// Raster helpers for the pictures in docs/segmentation/ (test-only: pngjs is a devDependency).
import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';

/** An RGBA picture, [height, width, 4] uint8, white to start with. */
export class Canvas {
  readonly data: Uint8Array;

  constructor(readonly width: number, readonly height: number) {
    this.data = new Uint8Array(width * height * 4).fill(255);
  }

  set(x: number, y: number, [r, g, b]: readonly number[]): void {
    const [px, py] = [Math.round(x), Math.round(y)];
    if (px < 0 || py < 0 || px >= this.width || py >= this.height) return;
    this.data.set([r!, g!, b!, 255], (py * this.width + px) * 4);
  }

  fillRect(x: number, y: number, w: number, h: number, colour: readonly number[]): void {
    for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) this.set(x + i, y + j, colour);
  }

  strokeRect(x: number, y: number, w: number, h: number, colour: readonly number[]): void {
    this.line(x, y, x + w - 1, y, colour);
    this.line(x, y + h - 1, x + w - 1, y + h - 1, colour);
    this.line(x, y, x, y + h - 1, colour);
    this.line(x + w - 1, y, x + w - 1, y + h - 1, colour);
  }

  line(x0: number, y0: number, x1: number, y1: number, colour: readonly number[]): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    for (let s = 0; s <= steps; s++) this.set(x0 + ((x1 - x0) * s) / steps, y0 + ((y1 - y0) * s) / steps, colour);
  }

  /** Draws an RGBA image [h, w, 4] at (x, y), each pixel as a scale x scale block. */
  blit(rgba: Uint8Array, w: number, h: number, x: number, y: number, scale = 1): void {
    for (let j = 0; j < h * scale; j++) {
      for (let i = 0; i < w * scale; i++) {
        const k = (Math.floor(j / scale) * w + Math.floor(i / scale)) * 4;
        this.set(x + i, y + j, [rgba[k]!, rgba[k + 1]!, rgba[k + 2]!]);
      }
    }
  }

  writePng(path: URL | string): void {
    const png = new PNG({ width: this.width, height: this.height });
    png.data = Buffer.from(this.data);
    writeFileSync(path, PNG.sync.write(png));
  }
}

/** RGB float [H, W, 3] in [0, 1] -> RGBA uint8. */
export function rgbaFromFloat(rgb: ArrayLike<number>, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 4);
  for (let i = 0; i < pixels; i++) {
    for (let k = 0; k < 3; k++) out[i * 4 + k] = Math.round(255 * rgb[i * 3 + k]!);
    out[i * 4 + 3] = 255;
  }
  return out;
}

export const docsUrl = (name: string) => new URL(`../../../docs/segmentation/${name}`, import.meta.url);
