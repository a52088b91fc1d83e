import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Image } from '../image.js';
import { seededRandom } from '../random.js';
import { transformFromSpec } from './from-spec.js';
import { resizedCrop } from './random-resized-crop.js';
import type { TransformSpec } from './transform.js';

interface Stored {
  offset: number;
  dtype: 'uint8' | 'float32';
  shape: [number, number, number];
}
interface Case {
  name: string;
  spec: TransformSpec | null;
  input: Stored;
  output: Stored;
  window?: [number, number, number, number];
  size?: [number, number];
}

const dir = new URL('./fixtures/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as { cases: Case[] };
const blob = readFileSync(new URL('transforms.bin', dir));

function load({ offset, dtype, shape }: Stored): Image {
  const n = shape[0] * shape[1] * shape[2];
  const bytes = blob.buffer.slice(blob.byteOffset + offset, blob.byteOffset + offset + n * (dtype === 'uint8' ? 1 : 4));
  const data = dtype === 'uint8' ? new Uint8Array(bytes) : new Float32Array(bytes);
  return { data, height: shape[0], width: shape[1], channels: shape[2] };
}

describe('transforms against torchvision 0.14 (tensor path, fixtures from tools/fixtures/make_transform_fixtures.py)', () => {
  it.each(manifest.cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const input = load(c.input), expected = load(c.output);
    const sample = { image: input };
    const out = c.spec ? transformFromSpec(c.spec).apply(sample, seededRandom(0)) : resizedCrop(sample, ...c.window!, c.size!);
    expect([out.image.height, out.image.width, out.image.channels]).toEqual(c.output.shape);
    expect(out.image.data.constructor).toBe(expected.data.constructor);
    if (expected.data instanceof Uint8Array) {
      // Bytes are rounded from float32 sums; PyTorch may fuse multiply-adds, so a sum can land on the
      // other side of .5 — allowed at most once in a thousand values, and only by one level.
      let off = 0;
      for (let i = 0; i < expected.data.length; i++) {
        const d = Math.abs(out.image.data[i]! - expected.data[i]!);
        expect(d).toBeLessThanOrEqual(1);
        off += d;
      }
      expect(off).toBeLessThanOrEqual(expected.data.length / 1000);
    } else {
      let worst = 0;
      for (let i = 0; i < expected.data.length; i++) worst = Math.max(worst, Math.abs(out.image.data[i]! - expected.data[i]!));
      expect(worst).toBeLessThan(1e-6);
    }
  });
});
