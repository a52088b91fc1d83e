import { BatchNorm2d, Conv2d, Module, ReLU, Sequential } from '@convkit/core';

/** A feature extractor and what the heads need to know of it. */
export interface Backbone {
  body: Module;
  /** Input pixels per feature-map cell. */
  stride: number;
  outChannels: number;
}

/**
 * The small backbone of the two-stage detectors here: 3x3 conv + batch norm + ReLU at 16, 32, 32, 32
 * channels, strides 2, 2, 1, 1: [N, H, W, 3] -> [N, H / 4, W / 4, 32]. Strided convolutions instead of
 * max pools, whose gradient is tfjs's slowest training kernel.
 */
export function smallBackbone(widths: readonly number[] = [16, 32, 32, 32], strides: readonly number[] = [2, 2, 1, 1]): Backbone {
  const layers: Module[] = [];
  let channels = 3;
  widths.forEach((width, i) => {
    layers.push(new Conv2d(channels, width, 3, { stride: strides[i] ?? 1, padding: 1, bias: false }), new BatchNorm2d(width), new ReLU());
    channels = width;
  });
  return { body: new Sequential(...layers), stride: strides.reduce((a, b) => a * b, 1), outChannels: channels };
}
