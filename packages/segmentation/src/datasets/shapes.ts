import { seededRandom } from '@convkit/core';

/** The classes of the shapes data set, by label. */
export const SHAPE_CLASSES = ['background', 'disc', 'square', 'triangle'] as const;

export interface ShapesOptions {
  count: number;
  /** Side of the square images. Default 48. */
  size?: number;
  seed?: number;
  /** Shapes per image: 1 to maxShapes. Default 3. */
  maxShapes?: number;
}

export interface ShapesDataSet {
  count: number;
  size: number;
  /** [count, size, size, 3] float32 in [0, 1]. */
  images: Float32Array;
  /** [count, size, size] int32 labels: indices into SHAPE_CLASSES. */
  masks: Int32Array;
}

/**
 * Synthetic semantic segmentation: discs, squares and triangles of random saturated colours, sizes and
 * places on textured backgrounds (stripes of two muted tones at a random angle and period, plus noise),
 * with their pixel masks. Later shapes cover earlier ones in image and mask. Colour says nothing about the
 * class: a model has to see the outline. The same options give the same data everywhere.
 */
export function makeShapes(options: ShapesOptions): ShapesDataSet {
  const { count } = options;
  const size = options.size ?? 48;
  const maxShapes = options.maxShapes ?? 3;
  const random = seededRandom(options.seed ?? 0);
  const images = new Float32Array(count * size * size * 3);
  const masks = new Int32Array(count * size * size);
  // A saturated colour of random hue: one channel high, one low, one anywhere.
  const vivid = () => {
    const order = [0, 1, 2];
    for (let i = 2; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const c = [0, 0, 0];
    c[order[0]!] = 0.75 + random() * 0.25;
    c[order[1]!] = random() * 0.25;
    c[order[2]!] = random();
    return c;
  };
  for (let n = 0; n < count; n++) {
    const base = n * size * size;
    // Muted backgrounds: two greyish tones close to each other, so that the shapes' edges carry the signal.
    const grey = 0.25 + random() * 0.5;
    const tone = () => [0, 1, 2].map(() => grey + (random() - 0.5) * 0.2);
    const [a, b] = [tone(), tone()];
    const angle = random() * Math.PI;
    const period = 4 + random() * 8;
    const [ca, sa] = [Math.cos(angle), Math.sin(angle)];
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const stripe = 0.5 + 0.5 * Math.sin((2 * Math.PI * (x * ca + y * sa)) / period);
        for (let k = 0; k < 3; k++) {
          images[(base + y * size + x) * 3 + k] = clamp01(a[k]! * stripe + b[k]! * (1 - stripe) + (random() - 0.5) * 0.1);
        }
      }
    }
    const shapes = 1 + Math.floor(random() * maxShapes);
    for (let s = 0; s < shapes; s++) {
      const label = 1 + Math.floor(random() * 3);
      const r = size * (0.16 + random() * 0.16);
      const cx = r + random() * (size - 2 * r);
      const cy = r + random() * (size - 2 * r);
      const fill = vivid();
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const [dx, dy] = [x + 0.5 - cx, y + 0.5 - cy];
          const inside = label === 1 ? dx * dx + dy * dy <= r * r
            : label === 2 ? Math.abs(dx) <= r * 0.85 && Math.abs(dy) <= r * 0.85
            // Upright triangle with its apex at cy - r and base at cy + r.
            : dy <= r && dy >= -r && Math.abs(dx) <= (dy + r) * 0.6;
          if (!inside) continue;
          masks[base + y * size + x] = label;
          for (let k = 0; k < 3; k++) images[(base + y * size + x) * 3 + k] = clamp01(fill[k]! + (random() - 0.5) * 0.1);
        }
      }
    }
  }
  return { count, size, images, masks };
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
