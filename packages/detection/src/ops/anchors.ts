import * as tf from '@tensorflow/tfjs-core';

const f32 = Math.fround;

/** torch.round: half-way cases to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Zero-centred anchors for one feature level, torchvision's `generate_anchors` in float32:
 * [ratios x scales, 4] (x1, y1, x2, y2), ratio-major, with h = sqrt(ratio) * scale, w = scale / sqrt(ratio)
 * and corners +-w/2, +-h/2 rounded half to even.
 */
export function generateCellAnchors(scales: readonly number[], aspectRatios: readonly number[]): Float32Array {
  const out = new Float32Array(scales.length * aspectRatios.length * 4);
  let i = 0;
  for (const ratio of aspectRatios) {
    const hRatio = f32(Math.sqrt(f32(ratio)));
    const wRatio = f32(1 / hRatio);
    for (const scale of scales) {
      const w = f32(wRatio * f32(scale));
      const h = f32(hRatio * f32(scale));
      out.set([-w, -h, w, h].map((v) => roundHalfEven(f32(v / 2))), i);
      i += 4;
    }
  }
  return out;
}

/**
 * Anchor boxes for a region proposal network, as torchvision's AnchorGenerator: for every feature level,
 * `sizes[l].length * aspectRatios[l].length` anchors centred on each cell's top-left corner in image
 * pixels (cell (y, x) at (x * strideW, y * strideH), stride = image size // map size).
 *
 * Order, identical to torchvision: level by level; within a level row-major over cells; within a cell
 * ratio-major over the cell anchors (see `generateCellAnchors`).
 */
export class AnchorGenerator {
  readonly sizes: number[][];
  readonly aspectRatios: number[][];
  /** Per level: [A, 4] zero-centred (x1, y1, x2, y2). */
  readonly cellAnchors: Float32Array[];

  /**
   * sizes: per level, the anchor scales in pixels (torchvision's default is one level of 128, 256, 512);
   * aspectRatios: height / width per level, or one list for every level.
   */
  constructor(sizes: readonly (readonly number[])[] = [[128, 256, 512]], aspectRatios: readonly (readonly number[])[] | readonly number[] = [0.5, 1, 2]) {
    this.sizes = sizes.map((s) => [...s]);
    const ratios = aspectRatios.length > 0 && typeof aspectRatios[0] === 'number'
      ? this.sizes.map(() => [...(aspectRatios as readonly number[])])
      : (aspectRatios as readonly (readonly number[])[]).map((r) => [...r]);
    if (ratios.length !== this.sizes.length) {
      throw new Error(`AnchorGenerator got ${this.sizes.length} levels of sizes but ${ratios.length} of aspect ratios; give one list of ratios per level, or a single list for all`);
    }
    this.aspectRatios = ratios;
    this.cellAnchors = this.sizes.map((s, l) => generateCellAnchors(s, ratios[l]!));
  }

  /** Anchors per feature-map cell, per level. */
  numAnchorsPerLocation(): number[] {
    return this.sizes.map((s, l) => s.length * this.aspectRatios[l]!.length);
  }

  /** Host anchors: Float32Array of [sum over levels of H_l * W_l * A_l, 4] (x1, y1, x2, y2). */
  generateHost(imageSize: readonly [number, number], featureSizes: readonly (readonly [number, number])[]): Float32Array {
    if (featureSizes.length !== this.sizes.length) {
      throw new Error(`AnchorGenerator has ${this.sizes.length} levels but got ${featureSizes.length} feature map sizes`);
    }
    const total = featureSizes.reduce((t, [h, w], l) => t + h * w * this.cellAnchors[l]!.length, 0);
    const out = new Float32Array(total);
    let i = 0;
    featureSizes.forEach(([gridH, gridW], l) => {
      const strideH = Math.floor(imageSize[0] / gridH);
      const strideW = Math.floor(imageSize[1] / gridW);
      const cell = this.cellAnchors[l]!;
      for (let y = 0; y < gridH; y++) {
        for (let x = 0; x < gridW; x++) {
          const sx = x * strideW, sy = y * strideH;
          for (let a = 0; a < cell.length; a += 4) {
            out[i++] = sx + cell[a]!;
            out[i++] = sy + cell[a + 1]!;
            out[i++] = sx + cell[a + 2]!;
            out[i++] = sy + cell[a + 3]!;
          }
        }
      }
    });
    return out;
  }

  /**
   * imageSize: [height, width] of the (padded) input batch, featureSizes: [height, width] per level
   * -> [sum over levels of H_l * W_l * A_l, 4] (x1, y1, x2, y2); the same for every image of the batch.
   */
  generate(imageSize: readonly [number, number], featureSizes: readonly (readonly [number, number])[]): tf.Tensor2D {
    const host = this.generateHost(imageSize, featureSizes);
    return tf.tensor2d(host, [host.length / 4, 4]);
  }
}
