import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { PALETTE, barChart, drawBoxes, imageGrid, lineChart } from './charts.js';
import { type BenchResult, benchChart } from './commands/bench.js';

const decode = (bytes: Uint8Array) => PNG.sync.read(Buffer.from(bytes));
const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
/** How many pixels have exactly this colour. */
function count(png: PNG, [r, g, b]: number[]): number {
  let n = 0;
  for (let i = 0; i < png.data.length; i += 4) if (png.data[i] === r && png.data[i + 1] === g && png.data[i + 2] === b) n++;
  return n;
}

describe('charts', () => {
  it('draws the bench results as bars whose lengths follow the latencies', () => {
    const result = (model: string, runtime: string, medianMs: number): BenchResult => ({ model, batch: 1, runtime, medianMs, timesMs: [medianMs], peakRssMb: 100 });
    const png = decode(benchChart([result('resnet18', 'wasm', 40), result('resnet18', 'cpu', 80), result('alexnet', 'wasm', 20)], 'test'));
    expect(png.width).toBe(860);
    expect(png.height).toBeGreaterThan(100);
    // Linear axis (80 / 20 < 20x): cpu's single bar is twice as long as wasm's resnet18 bar.
    const wasm = count(png, rgb(PALETTE[0])), cpu = count(png, rgb(PALETTE[1]));
    expect(cpu / (wasm * (40 / 60))).toBeCloseTo(2, 0);
  });

  it('rejects bars it cannot draw', () => {
    expect(() => barChart([], { title: '', valueLabel: '' })).toThrow('at least one bar');
    expect(() => barChart([{ group: 'a', series: 'b', value: 0 }], { title: '', valueLabel: '' })).toThrow('positive finite');
  });

  it('draws lines, grids and boxes as PNGs of the asked size', () => {
    const line = decode(lineChart([{ name: 'loss', points: [[0, 2], [1, 1], [2, NaN], [3, 0.5]] }, { name: 'accuracy', points: [[0, 0.1], [3, 0.9]], axis: 'right' }], {
      title: 't', xLabel: 'epoch', leftLabel: 'loss', rightLabel: 'accuracy', rightRange: [0, 1], width: 400, height: 300,
    }));
    expect([line.width, line.height]).toEqual([400, 300]);
    expect(count(line, rgb(PALETTE[1]))).toBeGreaterThan(50);
    const image = { data: new Uint8Array(8 * 8 * 3).fill(200), width: 8, height: 8 };
    const grid = decode(imageGrid([{ image, caption: '1' }, { image, caption: '2' }, { image, caption: '3' }], { title: 'g', columns: 2, tileSize: 32 }));
    expect(grid.height).toBe(2 * (32 + 30) + 50);
    const boxes = decode(drawBoxes(image, [1, 1, 6, 6], { scale: 4, colours: ['#ff0000'], lineWidth: 1 }));
    expect([boxes.width, boxes.height]).toEqual([32, 32]);
    expect(count(boxes, [255, 0, 0])).toBeGreaterThan(60);
    expect(count(boxes, [200, 200, 200])).toBeGreaterThan(800);
  });
});
