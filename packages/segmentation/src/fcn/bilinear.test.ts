import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { ConvTranspose2d, readNpy, toFloat32Array } from '@convkit/core';
import { expectClose, nchwToNhwc, testBackends, useBackend } from '@convkit/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { bilinearKernel, bilinearUpsamplingWeight } from './bilinear.js';

/** The bilinear filler against the FCN reference's get_upsampling_weight, and what it does in PyTorch. */
const npy = (name: string) => readNpy(new Uint8Array(readFileSync(new URL(`../fixtures/${name}.npy`, import.meta.url))));

describe('bilinearKernel', () => {
  it.each([1, 3, 4, 5, 16, 64])('size %i equals get_upsampling_weight', (size) => {
    expect(Array.from(bilinearKernel(size))).toEqual(Array.from(toFloat32Array(npy(`bilinear.kernel${size}`))));
  });

  it('is the outer product of [0.25, 0.75, 0.75, 0.25] at size 4', () => {
    const k = [0.25, 0.75, 0.75, 0.25];
    expect(Array.from(bilinearKernel(4))).toEqual(k.flatMap((a) => k.map((b) => a * b)));
  });
});

const backends = await testBackends();

describe.each(backends)('bilinear upsampling on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it("equals PyTorch's ConvTranspose2d(4, stride 2, padding 1) with the filler, and F.interpolate away from the border", async () => {
    const layer = new ConvTranspose2d(2, 2, 4, { stride: 2, padding: 1, bias: false });
    tf.tidy(() => layer.weight.assign(bilinearUpsamplingWeight(2, 4)));
    const input = npy('bilinear.input');
    const x = tf.tensor4d(nchwToNhwc(toFloat32Array(input), input.shape), [1, 6, 7, 2]);
    const y = layer.call(x);
    expect(y.shape).toEqual([1, 12, 14, 2]);
    const convt = npy('bilinear.convt');
    expectClose(await y.data(), nchwToNhwc(toFloat32Array(convt), convt.shape), 1e-6, 'bilinear ConvTranspose2d');
    // The transposed convolution sees zeros past the border where interpolation clamps: they agree inside.
    const interpolate = nchwToNhwc(toFloat32Array(npy('bilinear.interpolate')), [1, 2, 12, 14]);
    const inner = (data: ArrayLike<number>) => {
      const out: number[] = [];
      for (let r = 1; r < 11; r++) for (let c = 1; c < 13; c++) for (let k = 0; k < 2; k++) out.push(data[(r * 14 + c) * 2 + k]!);
      return out;
    };
    expectClose(inner(await y.data()), inner(interpolate), 1e-6, 'bilinear ConvTranspose2d vs F.interpolate inside');
    tf.dispose([x, y]);
    layer.dispose();
  });
});
