import { type Canvas, type SKRSContext2D, createCanvas } from '@napi-rs/canvas';
import type { RgbImage } from './images.js';

/**
 * Every picture the CLI draws (loss curves, the bench bar chart, labelled image grids, boxes on photos),
 * drawn with @napi-rs/canvas (Skia) and returned as PNG file bytes. Text uses the system's sans-serif
 * font; a machine without fonts still gets the lines and bars.
 */

const FONT = 'sans-serif';
const INK = '#222222';
const GRID = '#e4e4e4';
/** Colour-blind-safe categorical palette (Okabe and Ito 2008). */
export const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#d55e00', '#cc79a7', '#56b4e9', '#f0e442', '#000000'] as const;

export interface Series {
  name: string;
  /** [x, y] points; NaN y values leave a gap. */
  points: readonly (readonly [number, number])[];
  /** Which y axis the series is read against (default 'left'). */
  axis?: 'left' | 'right';
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  leftLabel: string;
  /** Label of the right axis; the right axis is drawn only when a series uses it. */
  rightLabel?: string;
  /** Fixed range of the right axis, e.g. [0, 1] for accuracies; default: the data's range. */
  rightRange?: readonly [number, number];
  width?: number;
  height?: number;
}

/** Lines with markers against one or two y axes: a loss curve with its held-out metric beside it. */
export function lineChart(series: readonly Series[], options: LineChartOptions): Uint8Array {
  const width = options.width ?? 720, height = options.height ?? 420;
  const canvas = createCanvas(width, height);
  const g = canvas.getContext('2d');
  background(g, width, height);
  const hasRight = series.some((s) => s.axis === 'right');
  const plot = { left: 72, top: 72, right: width - (hasRight ? 72 : 24), bottom: height - 56 };
  const finite = (s: readonly Series[]) => s.flatMap((x) => x.points).filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py));
  const all = finite(series);
  const xs = niceRange(Math.min(...all.map(([x]) => x), 0), Math.max(...all.map(([x]) => x), 1));
  const leftPoints = finite(series.filter((s) => s.axis !== 'right'));
  const left = niceRange(Math.min(0, ...leftPoints.map(([, y]) => y)), Math.max(...leftPoints.map(([, y]) => y), 1e-9));
  const rightPoints = finite(series.filter((s) => s.axis === 'right'));
  const right = options.rightRange
    ? { min: options.rightRange[0], max: options.rightRange[1], ticks: linearTicks(options.rightRange[0], options.rightRange[1]) }
    : niceRange(Math.min(0, ...rightPoints.map(([, y]) => y)), Math.max(...rightPoints.map(([, y]) => y), 1e-9));
  const px = (x: number) => plot.left + ((x - xs.min) / (xs.max - xs.min)) * (plot.right - plot.left);
  const py = (y: number, axis: { min: number; max: number }) => plot.bottom - ((y - axis.min) / (axis.max - axis.min)) * (plot.bottom - plot.top);

  g.font = `12px ${FONT}`;
  g.lineWidth = 1;
  for (const t of left.ticks) {
    g.strokeStyle = GRID;
    line(g, plot.left, py(t, left), plot.right, py(t, left));
    g.fillStyle = INK;
    g.textAlign = 'right';
    g.fillText(formatTick(t), plot.left - 6, py(t, left) + 4);
  }
  if (hasRight) {
    g.textAlign = 'left';
    for (const t of right.ticks) g.fillText(formatTick(t), plot.right + 6, py(t, right) + 4);
  }
  g.textAlign = 'center';
  for (const t of xs.ticks) g.fillText(formatTick(t), px(t), plot.bottom + 16);
  g.strokeStyle = INK;
  g.strokeRect(plot.left, plot.top, plot.right - plot.left, plot.bottom - plot.top);
  g.fillText(options.xLabel, (plot.left + plot.right) / 2, height - 14);
  verticalText(g, options.leftLabel, 18, (plot.top + plot.bottom) / 2);
  if (hasRight && options.rightLabel) verticalText(g, options.rightLabel, width - 14, (plot.top + plot.bottom) / 2);
  g.font = `bold 15px ${FONT}`;
  g.textAlign = 'left';
  g.fillText(options.title, plot.left, 28);

  series.forEach((s, i) => {
    const axis = s.axis === 'right' ? right : left;
    g.strokeStyle = g.fillStyle = PALETTE[i % PALETTE.length]!;
    g.lineWidth = 2;
    g.beginPath();
    let drawing = false;
    for (const [x, y] of s.points) {
      if (!Number.isFinite(y)) {
        drawing = false;
        continue;
      }
      if (drawing) g.lineTo(px(x), py(y, axis));
      else g.moveTo(px(x), py(y, axis));
      drawing = true;
    }
    g.stroke();
    // Markers only while they stay apart; a per-step curve of hundreds of points reads better as a line.
    if (s.points.length <= 60) for (const [x, y] of s.points) if (Number.isFinite(y)) dot(g, px(x), py(y, axis), 3.5);
  });
  legend(g, series.map((s) => s.name + (hasRight ? ` (${s.axis === 'right' ? 'right' : 'left'} axis)` : '')), plot.left - 6, 36, 'left', true);
  return png(canvas);
}

export interface Bar {
  /** The group the bar sits in, e.g. 'resnet50, batch 1'. */
  group: string;
  /** The series it belongs to, which picks its colour, e.g. 'wasm'. */
  series: string;
  value: number;
}

export interface BarChartOptions {
  title: string;
  /** Axis label, with the unit: 'median latency (ms)'. */
  valueLabel: string;
  /** Logarithmic value axis; default: when the values span more than 20x. */
  logScale?: boolean;
  width?: number;
}

/** Horizontal grouped bars, one colour per series, each bar labelled with its value. */
export function barChart(bars: readonly Bar[], options: BarChartOptions): Uint8Array {
  if (bars.length === 0) throw new Error('barChart needs at least one bar');
  if (bars.some((b) => !(b.value > 0) || !Number.isFinite(b.value))) throw new Error(`barChart draws positive finite values; got ${bars.find((b) => !(b.value > 0))?.value}`);
  const groups = [...new Set(bars.map((b) => b.group))];
  const series = [...new Set(bars.map((b) => b.series))];
  const barHeight = 16, gap = 12;
  const groupHeight = series.length * barHeight + gap;
  const width = options.width ?? 860;
  const probe = createCanvas(1, 1).getContext('2d');
  probe.font = `12px ${FONT}`;
  const labelWidth = Math.ceil(Math.max(...groups.map((name) => probe.measureText(name).width))) + 16;
  const plot = { left: labelWidth, top: 70, right: width - 90, bottom: 70 + groups.length * groupHeight };
  const height = plot.bottom + 48;
  const canvas = createCanvas(width, height);
  const g = canvas.getContext('2d');
  background(g, width, height);

  const values = bars.map((b) => b.value);
  const log = options.logScale ?? Math.max(...values) / Math.min(...values) > 20;
  const axis = log ? logAxis(Math.min(...values), Math.max(...values)) : niceRange(0, Math.max(...values));
  const position = (v: number) => {
    const f = log ? (Math.log10(v) - Math.log10(axis.min)) / (Math.log10(axis.max) - Math.log10(axis.min)) : (v - axis.min) / (axis.max - axis.min);
    return plot.left + Math.max(0, f) * (plot.right - plot.left);
  };

  g.font = `12px ${FONT}`;
  g.lineWidth = 1;
  g.textAlign = 'center';
  for (const t of axis.ticks) {
    g.strokeStyle = GRID;
    line(g, position(t), plot.top, position(t), plot.bottom);
    g.fillStyle = INK;
    g.fillText(formatTick(t), position(t), plot.bottom + 16);
  }
  g.fillText(`${options.valueLabel}${log ? ', log scale' : ''}`, (plot.left + plot.right) / 2, plot.bottom + 36);
  groups.forEach((group, gi) => {
    const top = plot.top + gi * groupHeight;
    g.fillStyle = INK;
    g.textAlign = 'right';
    g.fillText(group, plot.left - 8, top + (series.length * barHeight) / 2 + 4);
    series.forEach((name, si) => {
      const bar = bars.find((b) => b.group === group && b.series === name);
      if (!bar) return;
      const y = top + si * barHeight;
      g.fillStyle = PALETTE[si % PALETTE.length]!;
      g.fillRect(plot.left, y + 1, position(bar.value) - plot.left, barHeight - 2);
      g.fillStyle = INK;
      g.textAlign = 'left';
      g.fillText(formatTick(bar.value), position(bar.value) + 4, y + barHeight - 4);
    });
  });
  g.strokeStyle = INK;
  line(g, plot.left, plot.top, plot.left, plot.bottom);
  g.font = `bold 15px ${FONT}`;
  g.textAlign = 'left';
  g.fillText(options.title, 16, 26);
  legend(g, series, 10, 36, 'left', true);
  return png(canvas);
}

export interface Tile {
  image: RgbImage;
  caption: string;
  /** Caption colour, e.g. red for a wrong prediction (default ink). */
  colour?: string;
}

/** Images in a grid, each scaled (pixelated, no smoothing) to `tileSize` with a caption under it. */
export function imageGrid(tiles: readonly Tile[], options: { title: string; columns: number; tileSize: number }): Uint8Array {
  const { columns, tileSize } = options;
  const rows = Math.ceil(tiles.length / columns);
  const cell = { w: tileSize + 16, h: tileSize + 30 };
  const width = Math.max(columns * cell.w + 16, 240), height = rows * cell.h + 50;
  const canvas = createCanvas(width, height);
  const g = canvas.getContext('2d');
  background(g, width, height);
  g.font = `bold 15px ${FONT}`;
  g.fillStyle = INK;
  g.fillText(options.title, 12, 26);
  g.imageSmoothingEnabled = false;
  g.font = `13px ${FONT}`;
  g.textAlign = 'center';
  tiles.forEach((tile, i) => {
    const x = 16 + (i % columns) * cell.w, y = 40 + Math.floor(i / columns) * cell.h;
    g.drawImage(rgbCanvas(tile.image), x, y, tileSize, tileSize);
    g.fillStyle = tile.colour ?? INK;
    g.fillText(tile.caption, x + tileSize / 2, y + tileSize + 17);
  });
  return png(canvas);
}

/** Box outlines (x1, y1, x2, y2 in the image's pixels) over a copy of the image, scaled by `scale`. */
export function drawBoxes(image: RgbImage, boxes: ArrayLike<number>, options: { scale?: number; colours?: readonly string[]; lineWidth?: number } = {}): Uint8Array {
  const scale = options.scale ?? 1;
  const canvas = createCanvas(image.width * scale, image.height * scale);
  const g = canvas.getContext('2d');
  g.imageSmoothingEnabled = scale >= 4 ? false : true;
  g.drawImage(rgbCanvas(image), 0, 0, image.width * scale, image.height * scale);
  g.lineWidth = options.lineWidth ?? 2;
  const colours = options.colours ?? PALETTE;
  for (let i = 0; 4 * i + 3 < boxes.length; i++) {
    g.strokeStyle = colours[i % colours.length]!;
    const [x1, y1, x2, y2] = [boxes[4 * i]!, boxes[4 * i + 1]!, boxes[4 * i + 2]!, boxes[4 * i + 3]!].map((v) => v * scale) as [number, number, number, number];
    g.strokeRect(x1 + 0.5, y1 + 0.5, x2 - x1 - 1, y2 - y1 - 1);
  }
  return png(canvas);
}

function rgbCanvas(image: RgbImage) {
  const canvas = createCanvas(image.width, image.height);
  const g = canvas.getContext('2d');
  const pixels = g.createImageData(image.width, image.height);
  const stride = image.data.length === image.width * image.height * 4 ? 4 : 3;
  for (let p = 0; p < image.width * image.height; p++) {
    pixels.data[4 * p] = image.data[stride * p]!;
    pixels.data[4 * p + 1] = image.data[stride * p + 1]!;
    pixels.data[4 * p + 2] = image.data[stride * p + 2]!;
    pixels.data[4 * p + 3] = 255;
  }
  g.putImageData(pixels, 0, 0);
  return canvas;
}

function png(canvas: Canvas): Uint8Array {
  const bytes = canvas.toBuffer('image/png');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function background(g: SKRSContext2D, width: number, height: number): void {
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, width, height);
}

function line(g: SKRSContext2D, x1: number, y1: number, x2: number, y2: number): void {
  g.beginPath();
  g.moveTo(x1, y1);
  g.lineTo(x2, y2);
  g.stroke();
}

function dot(g: SKRSContext2D, x: number, y: number, r: number): void {
  g.beginPath();
  g.arc(x, y, r, 0, 2 * Math.PI);
  g.fill();
}

function verticalText(g: SKRSContext2D, text: string, x: number, y: number): void {
  g.save();
  g.translate(x, y);
  g.rotate(-Math.PI / 2);
  g.textAlign = 'center';
  g.fillStyle = INK;
  g.font = `12px ${FONT}`;
  g.fillText(text, 0, 0);
  g.restore();
}

/** A legend of coloured swatches, in a row or a column, anchored at its top-left or top-right corner. */
function legend(g: SKRSContext2D, names: readonly string[], x: number, y: number, align: 'left' | 'right', horizontal = false): void {
  g.font = `12px ${FONT}`;
  const widths = names.map((n) => g.measureText(n).width + 26);
  const boxWidth = horizontal ? widths.reduce((a, b) => a + b, 0) + 8 : Math.max(...widths) + 8;
  const boxHeight = horizontal ? 22 : names.length * 18 + 6;
  const left = align === 'right' ? x - boxWidth : x;
  g.fillStyle = 'rgba(255, 255, 255, 0.85)';
  g.fillRect(left, y, boxWidth, boxHeight);
  g.textAlign = 'left';
  let cursor = left + 6;
  names.forEach((name, i) => {
    const row = horizontal ? y + 4 : y + 4 + i * 18;
    g.fillStyle = PALETTE[i % PALETTE.length]!;
    g.fillRect(cursor, row + 2, 14, 10);
    g.fillStyle = INK;
    g.fillText(name, cursor + 19, row + 12);
    if (horizontal) cursor += widths[i]!;
  });
}

/** An axis from a round number at or below `min` to one at or above `max`, with about five ticks. */
function niceRange(min: number, max: number): { min: number; max: number; ticks: number[] } {
  if (!(max > min)) max = min + 1;
  const step = niceStep((max - min) / 5);
  const lo = Math.floor(min / step) * step, hi = Math.ceil(max / step) * step;
  return { min: lo, max: hi, ticks: linearTicks(lo, hi, step) };
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
}

function linearTicks(min: number, max: number, step = niceStep((max - min) / 5)): number[] {
  const ticks: number[] = [];
  // Ticks are computed from integers, so 0.1 + 0.2 never prints as 0.30000000000000004.
  for (let i = Math.ceil(min / step - 1e-9); i * step <= max + step * 1e-9; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** A log axis over whole 1-2-5 steps around [min, max]. */
function logAxis(min: number, max: number): { min: number; max: number; ticks: number[] } {
  const candidates: number[] = [];
  for (let e = Math.floor(Math.log10(min)) - 1; e <= Math.ceil(Math.log10(max)) + 1; e++) for (const m of [1, 2, 5]) candidates.push(Number((m * 10 ** e).toPrecision(12)));
  const lo = Math.max(...candidates.filter((c) => c <= min));
  const hi = Math.min(...candidates.filter((c) => c >= max));
  return { min: lo, max: hi, ticks: candidates.filter((c) => c >= lo && c <= hi) };
}

function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000) return v.toLocaleString('en-US', { maximumFractionDigits: 0 });
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return Number(v.toFixed(1)).toString();
  if (a >= 1) return Number(v.toFixed(2)).toString();
  return Number(v.toPrecision(2)).toString();
}
