import { describe, expect, it } from 'vitest';
import { broadcastStrides, denseStrides, matmulBatch, reductionPlan, simplifyStrided, transposeStrides } from './plan.js';

describe('strided index plans', () => {
  it('gives dense strides, zero on size-1 axes', () => {
    expect(denseStrides([2, 3, 4])).toEqual([12, 4, 1]);
    expect(denseStrides([2, 1, 4])).toEqual([4, 0, 1]);
  });

  it('broadcasts on the right, numpy style', () => {
    expect(broadcastStrides([4], [2, 3, 4])).toEqual([0, 0, 1]);
    expect(broadcastStrides([3, 1], [2, 3, 4])).toEqual([0, 1, 0]);
    expect(() => broadcastStrides([5], [2, 4])).toThrow(/does not broadcast/);
  });

  it('merges axes contiguous in every operand and drops size-1 axes', () => {
    // A bias add over NHWC: [N*H*W, C] with the bias repeating along the merged rows.
    const shape = [2, 5, 5, 8];
    const s = simplifyStrided(shape, [denseStrides(shape), broadcastStrides([8], shape)]);
    expect(s).toEqual({ shape: [50, 8], strides: [[8, 1], [0, 1]] });
    expect(simplifyStrided([1, 1], [[0, 0]])).toEqual({ shape: [1], strides: [[0]] });
    expect(simplifyStrided([2, 3], [[3, 1], [1, 2]])).toEqual({ shape: [2, 3], strides: [[3, 1], [1, 2]] });
  });

  it('reduces contiguous axes in place and asks for a transpose otherwise', () => {
    expect(reductionPlan([2, 3, 4, 5], [1, 2])).toEqual({ outer: 2, size: 12, inner: 5 });
    expect(reductionPlan([2, 3, 4, 5], [0, 1, 2])).toEqual({ outer: 1, size: 24, inner: 5 });
    expect(reductionPlan([2, 3, 4, 5], [3])).toEqual({ outer: 24, size: 5, inner: 1 });
    expect(reductionPlan([2, 3, 4, 5], [0, 2])).toBeNull();
  });

  it('reads a transpose through permuted strides', () => {
    // HWIO [3, 3, 4, 8] to cuDNN's KRSC [8, 3, 3, 4].
    expect(transposeStrides([3, 3, 4, 8], [3, 0, 1, 2])).toEqual({ shape: [8, 3, 3, 4], inStrides: [1, 96, 32, 8] });
  });

  it('batches matmuls with equal batches or one broadcast side only', () => {
    expect(matmulBatch(4, 4)).toEqual({ batch: 4, aStep: true, bStep: true });
    expect(matmulBatch(1, 4)).toEqual({ batch: 4, aStep: false, bStep: true });
    expect(matmulBatch(2, 4)).toBeNull();
  });
});
