import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { ConvTranspose2d, deterministicStateDict, readNpy, toFloat32Array } from '@convkit/core';
import { expectClose, nchwToNhwc, testBackends, useBackend } from '@convkit/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { Canvas, docsUrl } from '../../scripts/pictures.js';

/**
 * The cases drawn in docs/segmentation/transposed-convolution.md: the output size formula
 * out = (in - 1) * stride - 2 * padding + (kernel - 1) + output_padding + 1, and the values, against
 * torch.nn.ConvTranspose2d with the same deterministic weights. With CONVKIT_WRITE_DOCS=1 it also draws the
 * page's picture, docs/segmentation/transposed-convolution.png.
 */
const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);
const npy = (name: string) => readNpy(new Uint8Array(readFileSync(fixture(`${name}.npy`))));
interface Case { name: string; input: [number, number]; kernel: number; stride: number; padding: number; outputPadding: number; output: [number, number] }
const cases = (JSON.parse(readFileSync(fixture('manifest.json'), 'utf8')) as { convTranspose: Case[] }).convTranspose;

const backends = await testBackends();

describe.each(backends)('ConvTranspose2d as drawn in the docs, on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each(cases)('$name: $input -> $output', async (c) => {
    const layer = new ConvTranspose2d(2, 3, c.kernel, { stride: c.stride, padding: c.padding, outputPadding: c.outputPadding });
    const formula = c.input.map((n) => (n - 1) * c.stride - 2 * c.padding + (c.kernel - 1) + c.outputPadding + 1);
    expect(formula).toEqual(c.output);
    expect(layer.outputSize(...c.input)).toEqual(c.output);
    layer.loadStateDict(deterministicStateDict(layer));
    const input = npy(`convt_${c.name}.x`);
    const x = tf.tensor4d(nchwToNhwc(toFloat32Array(input), input.shape), [1, ...c.input, 2]);
    const y = layer.call(x);
    expect(y.shape).toEqual([1, ...c.output, 3]);
    const expected = npy(`convt_${c.name}.y`);
    expectClose(await y.data(), nchwToNhwc(toFloat32Array(expected), expected.shape), 1e-5, c.name);
    tf.dispose([x, y]);
    layer.dispose();
  });
});

describe('the transposed-convolution picture', () => {
  it.runIf(process.env.CONVKIT_WRITE_DOCS === '1')('draws every case as a direct convolution over the spread input', () => {
    // Dumoulin & Visin's view: spread the input by stride - 1 zeros, pad by kernel - 1 - padding on each side
    // (plus output_padding at the bottom and right), and slide the kernel with stride 1.
    const cell = 14;
    const gap = 3 * cell;
    const panels = cases.map((c) => {
      const [h, w] = c.input;
      const pad = c.kernel - 1 - c.padding;
      const grid = [(h - 1) * c.stride + 1 + 2 * pad + c.outputPadding, (w - 1) * c.stride + 1 + 2 * pad + c.outputPadding] as const;
      return { c, pad, grid, out: c.output };
    });
    const width = gap + Math.max(...panels.map((p) => (p.grid[1] + p.out[1]) * cell + 2 * gap));
    const height = gap + panels.reduce((n, p) => n + Math.max(p.grid[0], p.out[0]) * cell + gap, 0);
    const canvas = new Canvas(width, height);
    let y = gap;
    for (const { c, pad, grid, out } of panels) {
      for (let r = 0; r < grid[0]; r++) {
        for (let q = 0; q < grid[1]; q++) {
          const [ir, iq] = [r - pad, q - pad];
          const inside = ir >= 0 && iq >= 0 && ir <= (c.input[0] - 1) * c.stride && iq <= (c.input[1] - 1) * c.stride;
          const isInput = inside && ir % c.stride === 0 && iq % c.stride === 0;
          const extra = r >= grid[0] - c.outputPadding || q >= grid[1] - c.outputPadding;
          const colour = isInput ? [70, 130, 200] : extra ? [250, 200, 140] : inside ? [255, 255, 255] : [220, 220, 220];
          canvas.fillRect(gap + q * cell, y + r * cell, cell, cell, colour);
          canvas.strokeRect(gap + q * cell, y + r * cell, cell + 1, cell + 1, [120, 120, 120]);
        }
      }
      // The kernel at its first position, and the output value it produces.
      canvas.strokeRect(gap, y, c.kernel * cell + 1, c.kernel * cell + 1, [200, 30, 30]);
      canvas.strokeRect(gap + 1, y + 1, c.kernel * cell - 1, c.kernel * cell - 1, [200, 30, 30]);
      const ox = 2 * gap + grid[1] * cell;
      for (let r = 0; r < out[0]; r++) {
        for (let q = 0; q < out[1]; q++) {
          canvas.fillRect(ox + q * cell, y + r * cell, cell, cell, r === 0 && q === 0 ? [200, 30, 30] : [120, 190, 120]);
          canvas.strokeRect(ox + q * cell, y + r * cell, cell + 1, cell + 1, [60, 100, 60]);
        }
      }
      y += Math.max(grid[0], out[0]) * cell + gap;
    }
    canvas.writePng(docsUrl('transposed-convolution.png'));
  });
});
