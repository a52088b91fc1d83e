// Draws the curves of tools/docs/degradation.mjs as a PNG line chart with @napi-rs/canvas (pnpm install first):
//   node tools/docs/plot-degradation.mjs docs/classifiers/degradation.json docs/classifiers/resnet-degradation.png
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createCanvas } from '@napi-rs/canvas';

const COLOURS = { 20: '#1f77b4', 32: '#2ca02c', 44: '#9467bd', 56: '#d62728', 110: '#8c564b' };

const PANELS = [
  { title: 'training loss (log scale)', value: (row) => row.trainLoss, log: true },
  { title: 'training error (%)', value: (row) => row.trainError * 100 },
  { title: 'test error (%)', value: (row) => row.testError * 100 },
];

function niceTicks(lo, hi, count, integer = false) {
  const step = Math.max(integer ? 1 : 0, 10 ** Math.floor(Math.log10((hi - lo) / count)));
  const mult = [1, 2, 5, 10].find((m) => (hi - lo) / (step * m) <= count) ?? 10;
  const s = step * mult;
  const ticks = [];
  for (let v = Math.ceil(lo / s) * s; v <= hi + 1e-9; v += s) ticks.push(Number(v.toPrecision(6)));
  return ticks;
}

function drawPanel(g, panel, runs, x0, y0, width, height) {
  const left = x0 + 56;
  const right = x0 + width - 12;
  const top = y0 + 30;
  const bottom = y0 + height - 40;
  const epochs = Math.max(...runs.flatMap((r) => r.history.map((h) => h.epoch)));
  const values = runs.flatMap((r) => r.history.map(panel.value));
  let lo;
  let hi;
  let ticks;
  if (panel.log) {
    lo = Math.floor(Math.log10(Math.max(1e-6, Math.min(...values))));
    hi = Math.ceil(Math.log10(Math.max(...values)));
    ticks = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  } else {
    lo = 0;
    hi = Math.max(...values) * 1.05 || 1;
    ticks = niceTicks(lo, hi, 6);
    hi = Math.max(hi, ticks.at(-1));
  }
  const sx = (epoch) => left + ((epoch - 1) / Math.max(1, epochs - 1)) * (right - left);
  const sy = (v) => {
    const t = panel.log ? Math.log10(Math.max(v, 10 ** lo)) : v;
    return bottom - ((t - lo) / (hi - lo)) * (bottom - top);
  };
  g.fillStyle = '#000';
  g.font = 'bold 15px sans-serif';
  g.textAlign = 'center';
  g.fillText(panel.title, (left + right) / 2, y0 + 18);
  g.font = '12px sans-serif';
  g.strokeStyle = '#e5e5e5';
  g.lineWidth = 1;
  for (const t of ticks) {
    const y = panel.log ? sy(10 ** t) : sy(t);
    g.beginPath();
    g.moveTo(left, y);
    g.lineTo(right, y);
    g.stroke();
    g.textAlign = 'right';
    g.fillText(panel.log ? `1e${t}` : String(t), left - 6, y + 4);
  }
  for (const e of niceTicks(1, epochs, 6, true).filter((e) => e >= 1)) {
    g.textAlign = 'center';
    g.fillText(String(e), sx(e), bottom + 16);
  }
  g.fillText('epoch', (left + right) / 2, bottom + 32);
  g.strokeStyle = '#000';
  g.strokeRect(left, top, right - left, bottom - top);
  for (const run of runs) {
    g.strokeStyle = COLOURS[run.depth] ?? '#333';
    g.lineWidth = run.plain ? 2 : 2.5;
    g.setLineDash(run.plain ? [7, 5] : []);
    g.beginPath();
    run.history.forEach((row, i) => (i ? g.lineTo : g.moveTo).call(g, sx(row.epoch), sy(panel.value(row))));
    g.stroke();
    g.setLineDash([]);
  }
}

/** Writes a 3-panel chart (training loss, training error, test error per epoch) of `result` to `path`. */
export async function plotDegradation(result, path) {
  const [width, height] = [1350, 440];
  const canvas = createCanvas(width, height);
  const g = canvas.getContext('2d');
  g.fillStyle = '#fff';
  g.fillRect(0, 0, width, height);
  PANELS.forEach((panel, i) => drawPanel(g, panel, result.runs, i * (width / 3), 0, width / 3, height - 50));
  let x = 70;
  g.font = '13px sans-serif';
  g.textAlign = 'left';
  for (const run of result.runs) {
    g.strokeStyle = COLOURS[run.depth] ?? '#333';
    g.lineWidth = 2.5;
    g.setLineDash(run.plain ? [7, 5] : []);
    g.beginPath();
    g.moveTo(x, height - 24);
    g.lineTo(x + 36, height - 24);
    g.stroke();
    g.setLineDash([]);
    g.fillStyle = '#000';
    const label = `${run.plain ? 'plain' : 'ResNet'}-${run.depth}`;
    g.fillText(label, x + 44, height - 20);
    x += 60 + g.measureText(label).width;
  }
  g.fillStyle = '#555';
  g.fillText(`digits 8x8, ${result.settings.optimizer}, lr ${result.settings.learningRate}, batch ${result.settings.batchSize}; ${result.machine}, ${result.date}`, x + 10, height - 20);
  writeFileSync(path, await canvas.encode('png'));
  console.log(`wrote ${path}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    console.error('usage: node tools/docs/plot-degradation.mjs <degradation.json> <chart.png>');
    process.exit(2);
  }
  await plotDegradation(JSON.parse(readFileSync(input, 'utf8')), output);
}
