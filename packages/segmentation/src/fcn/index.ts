export { bilinearKernel, bilinearUpsamplingWeight } from './bilinear.js';
export { type SpatialLayer, type CoordMap, layerCoordMap, chainCoordMap, cropOffset, spatialLayersOf } from './coord-map.js';
export { cropTo } from './crop.js';
export {
  FCN, type FCNOptions, type FcnVariant, type FcnCropOffsets, FCN_VGG16_STAGES,
  fcn32sVgg16, fcn16sVgg16, fcn8sVgg16, fcnStateDictFromVgg16,
} from './fcn-vgg.js';
export { IntermediateLayerGetter } from './intermediate-layer-getter.js';
export { FCNResNet, FCNHead, type FCNOutputs, type FCNResNetOptions, fcnResnet50, resizeLikeTorch } from './fcn-resnet.js';
export { FCNTiny, type FCNTinyOptions, fcnTiny } from './fcn-tiny.js';
export { FCN_TINY_SHAPES_RECIPE, type FcnTinyTrainOptions, initialiseFcnTiny, trainFcnTiny } from './fcn-tiny-recipe.js';
