import type { Image } from '../image.js';
import type { Random } from '../random.js';

/**
 * What a transform moves: the image, and for detection and segmentation the targets that must move
 * with it. Image-only transforms (Normalize, ToTensor) pass the targets through untouched; a crop that
 * leaves a box with no area drops it together with its entries in the other per-box arrays.
 */
export interface Sample {
  /** [H, W, C] uint8 or float32. */
  image: Image;
  /** Detection boxes [K, 4] (x1, y1, x2, y2) in pixels of `image`, as torchvision's detection targets. */
  boxes?: Float32Array;
  /** Per box [K]: the class, 0 .. classes - 1. */
  labels?: Int32Array;
  /** Per box [K]: 1 for a COCO crowd region (iscrowd). */
  crowd?: Uint8Array;
  /** Per box [K]: 1 for a VOC 'difficult' object. */
  difficult?: Uint8Array;
  /** Segmentation mask [H, W, 1] uint8 of class ids, the size of `image` (255 = void, as VOC's). */
  mask?: Image<Uint8Array>;
}

/**
 * A transform as plain data: `{ name: 'Resize', size: 256 }`. The loader sends specs, not functions,
 * to its worker threads, which rebuild the same transforms with `transformFromSpec`.
 */
export type TransformSpec =
  | { name: 'Resize'; size: number | [number, number]; maxSize?: number }
  | { name: 'CenterCrop'; size: number | [number, number] }
  | { name: 'RandomResizedCrop'; size: number | [number, number]; scale?: [number, number]; ratio?: [number, number] }
  | { name: 'RandomHorizontalFlip'; p?: number }
  | { name: 'Pad'; padding: number | [number, number] | [number, number, number, number]; fill?: number; paddingMode?: PaddingMode }
  | { name: 'Normalize'; mean: number[]; std: number[] }
  | { name: 'ToTensor' }
  | { name: 'Grayscale'; numOutputChannels?: 1 | 3 }
  | { name: 'Compose'; transforms: TransformSpec[] };

export type PaddingMode = 'constant' | 'edge' | 'reflect' | 'symmetric';

/** One step of a pipeline; `random` is only drawn from by the random transforms. */
export interface Transform {
  readonly spec: TransformSpec;
  apply(sample: Sample, random: Random): Sample;
}
