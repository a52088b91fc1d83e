import { DataError } from './errors.js';

/**
 * A picture on the host, row-major: `data` is [height, width, channels], uint8 (0..255, as decoded) or
 * float32 (after ToTensor). convkit's activations are NHWC, so images stay channels-last throughout;
 * a batch of them is already the [N, H, W, C] float32 a model takes.
 */
export interface Image<T extends Uint8Array | Float32Array = Uint8Array | Float32Array> {
  data: T;
  height: number;
  width: number;
  channels: number;
}

/** A decoded picture: [height, width, channels] uint8. */
export type ByteImage = Image<Uint8Array>;
/** A picture as a model takes it: [height, width, channels] float32. */
export type FloatImage = Image<Float32Array>;

/** An empty image of the same element type as `like`: [height, width, channels]. */
export function emptyLike<T extends Uint8Array | Float32Array>(like: Image<T>, height: number, width: number, channels = like.channels): Image<T> {
  const size = height * width * channels;
  const data = (like.data instanceof Float32Array ? new Float32Array(size) : new Uint8Array(size)) as T;
  return { data, height, width, channels };
}

/** Throws when `data` does not hold height x width x channels values. */
export function checkImage(image: Image, what = 'image'): void {
  const { data, height, width, channels } = image;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1 || channels < 1) {
    throw new DataError(`${what} has size ${height}x${width}x${channels}; height, width and channels must be positive integers`);
  }
  if (data.length !== height * width * channels) {
    throw new DataError(`${what} holds ${data.length} values, not the ${height}x${width}x${channels} = ${height * width * channels} its size says`);
  }
}
