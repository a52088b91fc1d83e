// Times selective search on the test photographs and draws docs/detection/selective-search-astronaut.png.
// Run after building: cd packages/detection && npx tsc -p tsconfig.json && node scripts/selective-search-report.mjs
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { felzenszwalb, selectiveSearch } from '@convkit/detection';

const fixtures = new URL('../src/selective-search/fixtures/', import.meta.url);
const docs = new URL('../../../docs/detection/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', fixtures), 'utf8'));

function readRgb(name) {
  const png = PNG.sync.read(readFileSync(new URL(`${name}.png`, fixtures)));
  const data = new Uint8Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++) data.set(png.data.subarray(4 * i, 4 * i + 3), 3 * i);
  return { data, height: png.height, width: png.width };
}

function medianSeconds(fn, runs = 5) {
  fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push((performance.now() - start) / 1000);
  }
  return times.sort((a, b) => a - b)[runs >> 1];
}

console.log('| image | size | mode | proposals (ours / OpenCV) | same ranked list | ours (s) | OpenCV (s) |');
console.log('|---|---|---|---|---|---|---|');
for (const image of manifest.images) {
  const rgb = readRgb(image.name);
  for (const mode of ['fast', 'quality']) {
    const ours = selectiveSearch(rgb, { mode });
    const reference = image.selective_search[mode];
    const same = ours.length === 4 * reference.boxes.length && reference.boxes.flat().every((v, i) => v === ours[i]);
    const seconds = medianSeconds(() => selectiveSearch(rgb, { mode }));
    console.log(`| ${image.name} | ${rgb.width} x ${rgb.height} | ${mode} | ${ours.length / 4} / ${reference.boxes.length} | ${same ? 'yes' : 'no'} | ${seconds.toFixed(3)} | ${reference.seconds.toFixed(3)} |`);
  }
}

// Picture: the photograph, its felzenszwalb segments and the first 30 fast-mode proposals, 3x enlarged.
const rgb = readRgb('astronaut');
const scale = 3;
const panelW = rgb.width * scale, panelH = rgb.height * scale, gap = 8;
const out = new PNG({ width: 3 * panelW + 2 * gap, height: panelH });
out.data.fill(255);
const put = (x, y, [r, g, b]) => {
  const i = 4 * (y * out.width + x);
  out.data[i] = r; out.data[i + 1] = g; out.data[i + 2] = b; out.data[i + 3] = 255;
};
const labels = felzenszwalb(rgb, { scale: 100, sigma: 0.5, minSize: 50 });
const colour = (l) => [(l * 97) % 256, (l * 57 + 80) % 256, (l * 151 + 40) % 256];
for (let y = 0; y < panelH; y++) {
  for (let x = 0; x < panelW; x++) {
    const p = Math.floor(y / scale) * rgb.width + Math.floor(x / scale);
    const pixel = [rgb.data[3 * p], rgb.data[3 * p + 1], rgb.data[3 * p + 2]];
    put(x, y, pixel);
    put(panelW + gap + x, y, colour(labels[p]));
    put(2 * (panelW + gap) + x, y, pixel.map((v) => Math.round(v * 0.6)));
  }
}
const boxes = selectiveSearch(rgb, { mode: 'fast' });
const shown = Math.min(30, boxes.length / 4);
for (let k = shown - 1; k >= 0; k--) {
  const hue = (k * 360) / shown;
  const c = [0, 8, 4].map((n) => Math.round(255 * (0.5 + 0.5 * Math.cos(((hue / 60 + n) % 12) * (Math.PI / 6)))));
  const [x1, y1, x2, y2] = Array.from(boxes.subarray(4 * k, 4 * k + 4), (v) => v * scale);
  const ox = 2 * (panelW + gap);
  for (let x = x1; x < x2; x++) for (const y of [y1, y1 + 1, y2 - 2, y2 - 1]) put(ox + x, y, c);
  for (let y = y1; y < y2; y++) for (const x of [x1, x1 + 1, x2 - 2, x2 - 1]) put(ox + x, y, c);
}
mkdirSync(docs, { recursive: true });
writeFileSync(new URL('selective-search-astronaut.png', docs), PNG.sync.write(out));
console.log(`\nwrote docs/detection/selective-search-astronaut.png (${shown} proposals drawn)`);
