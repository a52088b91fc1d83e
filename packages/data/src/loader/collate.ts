import { DataError } from '../errors.js';
import type { Example } from '../datasets/dataset.js';
import type { Image } from '../image.js';

/** Per example, what moves with a detection or segmentation image. */
export interface Target {
  /** [K, 4] (x1, y1, x2, y2) in pixels of the transformed image. */
  boxes?: Float32Array;
  /** [K] class indices of the boxes. */
  labels?: Int32Array;
  /** [K] 1 for COCO crowd regions. */
  crowd?: Uint8Array;
  /** [K] 1 for VOC difficult objects. */
  difficult?: Uint8Array;
}

/** A batch as the loader delivers it: plain typed arrays, ready for `tf.tensor4d(images, shape)`. */
export interface Batch {
  /** The data set indices of the examples [N] (corrupt ones skipped are absent). */
  indices: Int32Array;
  /** [N, H, W, C]: float32 after ToTensor, else uint8. Absent with `stack: false`. */
  images?: Float32Array | Uint8Array;
  /** [N, H, W, C] of `images`. */
  shape?: [number, number, number, number];
  /** [N] class indices (classification sets). */
  labels?: Int32Array;
  /** [N, H, W] uint8 class ids, 255 void (segmentation sets). */
  masks?: Uint8Array;
  /** [N] per-example boxes and their labels (detection sets). */
  targets?: Target[];
  /** [N] the images one by one, with `stack: false` (detection sets of varied sizes). */
  list?: Image[];
}

const same = (a: Image, b: Image) => a.height === b.height && a.width === b.width && a.channels === b.channels && a.data.constructor === b.data.constructor;
const describe = (e: Example) => `${e.image.height}x${e.image.width}x${e.image.channels} ${e.image.data instanceof Float32Array ? 'float32' : 'uint8'} from '${e.source}'`;

/** Stacks examples into a batch (or lists them when `stack` is false). */
export function collate(examples: Example[], indices: Int32Array, stack: boolean): Batch {
  const batch: Batch = { indices };
  if (examples.length === 0) return batch;
  if (examples.every((e) => e.label !== undefined)) batch.labels = Int32Array.from(examples, (e) => e.label!);
  if (examples.some((e) => e.boxes)) {
    batch.targets = examples.map((e) => {
      const t: Target = {};
      t.boxes = e.boxes ?? new Float32Array(0);
      t.labels = e.labels ?? new Int32Array(0);
      if (e.crowd) t.crowd = e.crowd;
      if (e.difficult) t.difficult = e.difficult;
      return t;
    });
  }
  if (!stack) {
    batch.list = examples.map((e) => e.image);
    return batch;
  }
  const first = examples[0]!;
  const odd = examples.find((e) => !same(e.image, first.image));
  if (odd) throw new DataError(`cannot stack a batch of ${describe(first)} and ${describe(odd)}: add Resize and CenterCrop (or RandomResizedCrop) to the transform, or pass stack: false`);
  const { height, width, channels } = first.image;
  const size = height * width * channels;
  const images = first.image.data instanceof Float32Array ? new Float32Array(size * examples.length) : new Uint8Array(size * examples.length);
  examples.forEach((e, i) => images.set(e.image.data, i * size));
  batch.images = images;
  batch.shape = [examples.length, height, width, channels];
  if (examples.every((e) => e.mask)) {
    const masks = new Uint8Array(height * width * examples.length);
    examples.forEach((e, i) => {
      if (e.mask!.height !== height || e.mask!.width !== width) throw new DataError(`the mask of '${e.source}' is ${e.mask!.height}x${e.mask!.width}, its image ${height}x${width}`);
      masks.set(e.mask!.data, i * height * width);
    });
    batch.masks = masks;
  }
  return batch;
}

/** The ArrayBuffers of a batch, to transfer rather than copy from a worker. */
export function transferables(batch: Batch): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  const add = (a: { buffer: ArrayBufferLike } | undefined) => {
    if (a && a.buffer instanceof ArrayBuffer) buffers.add(a.buffer);
  };
  add(batch.indices);
  add(batch.images);
  add(batch.labels);
  add(batch.masks);
  batch.targets?.forEach((t) => [t.boxes, t.labels, t.crowd, t.difficult].forEach(add));
  batch.list?.forEach((image) => add(image.data));
  return [...buffers];
}
