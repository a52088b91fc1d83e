import { readFileSync } from 'node:fs';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import type { ModelEntry } from '../registry.js';
import { type Preprocessing, applyPreprocessing, preprocess } from './preprocess.js';

interface Case {
  name: string;
  height: number;
  width: number;
  rgb: number[];
  preprocessing: Preprocessing;
  shape: [number, number, number];
  output: number[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/preprocess.json', import.meta.url), 'utf8')) as { cases: Case[] };

describe('preprocessing, against torchvision 0.14 (tools/fixtures/make_preprocessing_fixtures.py)', () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const out = applyPreprocessing(c.preprocessing, { width: c.width, height: c.height, data: Uint8Array.from(c.rgb) });
    expect([out.height, out.width, out.channels]).toEqual(c.shape);
    let worst = 0;
    for (let i = 0; i < c.output.length; i++) worst = Math.max(worst, Math.abs(out.data[i]! - c.output[i]!));
    expect(worst).toBeLessThan(2e-5);
  });

  it('reads RGBA as RGB, ignoring alpha', () => {
    const c = fixture.cases[0]!;
    const rgba = new Uint8Array(c.width * c.height * 4);
    for (let p = 0; p < c.width * c.height; p++) rgba.set([...c.rgb.slice(3 * p, 3 * p + 3), p % 256], 4 * p);
    const out = applyPreprocessing(c.preprocessing, { width: c.width, height: c.height, data: rgba });
    expect(Math.max(...out.data.map((v, i) => Math.abs(v - c.output[i]!)))).toBeLessThan(2e-5);
  });

  it('gives [1, H, W, C] for a registry entry, and names an entry without preprocessing', () => {
    const c = fixture.cases[0]!;
    const entry = { name: 'probe', preprocessing: c.preprocessing } as ModelEntry;
    const x = preprocess(entry, { width: c.width, height: c.height, data: Uint8Array.from(c.rgb) });
    expect(x.shape).toEqual([1, ...c.shape]);
    x.dispose();
    expect(() => preprocess({ name: 'bare' } as ModelEntry, { width: 1, height: 1, data: [0, 0, 0] })).toThrow(/bare declares no preprocessing/);
    expect(() => applyPreprocessing(c.preprocessing, { width: 2, height: 2, data: [1, 2, 3] })).toThrow(/needs 12 RGB or 16 RGBA bytes, got 3/);
  });
});
