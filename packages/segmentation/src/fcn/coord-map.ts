import { AvgPool2d, Conv2d, ConvTranspose2d, MaxPool2d, type Module } from '@convkit/core';

/**
 * Caffe's coordinate mapping (caffe/python/caffe/coord_map.py), from which the FCN reference computes its
 * crop offsets: each spatial layer maps a coordinate of its output to one of its input as
 * x_in = scale * x_out + offset, where offset is where the centre of the output's window falls.
 */
export interface SpatialLayer {
  kind: 'conv' | 'pool' | 'deconv';
  kernel: number;
  stride: number;
  padding: number;
}

export interface CoordMap {
  scale: number;
  offset: number;
}

/** One layer's map, as Caffe's `coord_map(fn)`. */
export function layerCoordMap(layer: SpatialLayer): CoordMap {
  const centre = (layer.kernel - 1) / 2;
  if (layer.kind === 'deconv') return { scale: 1 / layer.stride, offset: (layer.padding - centre) / layer.stride };
  return { scale: layer.stride, offset: centre - layer.padding };
}

/** The map from the last layer's output back to the first layer's input: layers in forward order. */
export function chainCoordMap(layers: readonly SpatialLayer[]): CoordMap {
  let map: CoordMap = { scale: 1, offset: 0 };
  for (const layer of layers) {
    const step = layerCoordMap(layer);
    map = { scale: map.scale * step.scale, offset: map.scale * step.offset + map.offset };
  }
  return map;
}

/**
 * Caffe's `crop(from, to)` offset: both blobs are reached from one common input through `fromPath` and
 * `toPath`; `from` is cropped at this offset to the size of `to`. The two must have the same scale and
 * `from` must start at or before `to` by a whole number of pixels, as Caffe asserts.
 */
export function cropOffset(fromPath: readonly SpatialLayer[], toPath: readonly SpatialLayer[]): number {
  const from = chainCoordMap(fromPath);
  const to = chainCoordMap(toPath);
  const scale = from.scale / to.scale;
  const offset = (from.offset - to.offset) / to.scale;
  if (Math.abs(scale - 1) > 1e-9) throw new Error(`cannot crop between maps of scale ${from.scale} and ${to.scale}`);
  const crop = -offset;
  if (crop < -1e-9 || Math.abs(crop - Math.round(crop)) > 1e-9) throw new Error(`crop offset ${crop} is not a non-negative integer`);
  return Math.round(crop);
}

/** The spatial layers of a module in call order, for modules that apply their children in registration order. */
export function spatialLayersOf(module: Module<any, any>): SpatialLayer[] {
  if (module instanceof ConvTranspose2d) return [{ kind: 'deconv', kernel: module.kernelSize[0], stride: module.stride[0], padding: module.padding[0] }];
  if (module instanceof Conv2d) return [{ kind: 'conv', kernel: module.kernelSize[0], stride: module.stride[0], padding: module.padding[0] }];
  if (module instanceof MaxPool2d || module instanceof AvgPool2d) {
    return [{ kind: 'pool', kernel: module.kernelSize[0], stride: module.stride[0], padding: module.padding[0] }];
  }
  return module.namedChildren().flatMap(([, child]) => spatialLayersOf(child));
}
