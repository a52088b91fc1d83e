import type { Detections } from '../metrics.js';
import type { RgbImage } from '../selective-search/image.js';
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from './font.js';

/** An 8-bit RGBA image, row-major [height, width, 4], ready for a PNG encoder or a canvas. */
export interface RgbaImage {
  data: Uint8Array;
  height: number;
  width: number;
}

export interface DrawOptions {
  /** Names by label; a label without one is drawn as its number. */
  classNames?: readonly string[];
  /** Detections at or below this score are not drawn (default 0.3); NaN scores never are. */
  minScore?: number;
  /** Integer upscaling of the picture, nearest neighbour, so that labels stay legible (default 1). */
  scale?: number;
  /** Box line width in output pixels (default 1). */
  lineWidth?: number;
}

/** Distinct colours by label. */
export const LABEL_COLOURS: readonly (readonly [number, number, number])[] = [
  [255, 230, 0], [0, 255, 255], [255, 0, 255], [255, 128, 0], [0, 255, 0], [255, 255, 255], [128, 128, 255], [255, 96, 96],
];

/**
 * Draws detections onto a copy of `image`: each box as a rectangle outline in its label's colour and
 * a tag "name score" above it (below its top edge when there is no room), in a 3 x 5 pixel font.
 * Pure: no I/O, no tfjs. Boxes are in the image's pixels and may reach outside it: they are clipped.
 * Detections are drawn lowest score first, so that the best end on top.
 */
export function drawDetections(image: RgbImage, detections: Detections, options: DrawOptions = {}): RgbaImage {
  const scale = Math.max(1, Math.floor(options.scale ?? 1));
  const { height: h0, width: w0 } = image;
  const stride = image.data.length === h0 * w0 * 4 ? 4 : 3;
  if (image.data.length !== h0 * w0 * stride) throw new Error(`drawDetections: ${image.data.length} bytes for a ${h0}x${w0} image`);
  const width = w0 * scale, height = h0 * scale;
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = (Math.floor(y / scale) * w0 + Math.floor(x / scale)) * stride;
      data.set([image.data[s]!, image.data[s + 1]!, image.data[s + 2]!, 255], (y * width + x) * 4);
    }
  }
  const put = (x: number, y: number, colour: readonly number[]) => {
    if (x >= 0 && y >= 0 && x < width && y < height) data.set(colour, (y * width + x) * 4);
  };
  const fill = (x1: number, y1: number, x2: number, y2: number, colour: readonly number[]) => {
    for (let y = Math.max(0, y1); y < Math.min(height, y2); y++) for (let x = Math.max(0, x1); x < Math.min(width, x2); x++) put(x, y, colour);
  };
  const minScore = options.minScore ?? 0.3;
  const line = Math.max(1, options.lineWidth ?? 1);
  const order = Array.from(detections.scores.keys()).filter((i) => detections.scores[i]! > minScore).sort((a, b) => detections.scores[a]! - detections.scores[b]!);
  for (const i of order) {
    const box = Array.from(detections.boxes.subarray(4 * i, 4 * i + 4), (v) => v * scale);
    if (box.some((v) => !Number.isFinite(v))) continue;
    const [x1, y1, x2, y2] = [Math.round(box[0]!), Math.round(box[1]!), Math.round(box[2]!) - 1, Math.round(box[3]!) - 1];
    if (x2 < x1 || y2 < y1) continue;
    const label = detections.labels[i]!;
    const colour = [...LABEL_COLOURS[((label % LABEL_COLOURS.length) + LABEL_COLOURS.length) % LABEL_COLOURS.length]!, 255];
    fill(x1, y1, x2 + 1, y1 + line, colour);
    fill(x1, y2 + 1 - line, x2 + 1, y2 + 1, colour);
    fill(x1, y1, x1 + line, y2 + 1, colour);
    fill(x2 + 1 - line, y1, x2 + 1, y2 + 1, colour);
    const text = `${options.classNames?.[label] ?? String(label)} ${detections.scores[i]!.toFixed(2)}`;
    const tagW = text.length * (GLYPH_WIDTH + 1) + 1, tagH = GLYPH_HEIGHT + 2;
    const tx = Math.min(Math.max(0, x1), Math.max(0, width - tagW));
    const ty = y1 - tagH >= 0 ? y1 - tagH : Math.max(0, y1);
    fill(tx, ty, tx + tagW, ty + tagH, colour);
    [...text].forEach((char, c) => {
      glyph(char).forEach((bits, row) => {
        for (let col = 0; col < GLYPH_WIDTH; col++) {
          if (bits & (4 >> col)) put(tx + 1 + c * (GLYPH_WIDTH + 1) + col, ty + 1 + row, [0, 0, 0, 255]);
        }
      });
    });
  }
  return { data, height, width };
}
