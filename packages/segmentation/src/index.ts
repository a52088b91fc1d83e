export {
  bilinearKernel, bilinearUpsamplingWeight, type SpatialLayer, type CoordMap, layerCoordMap, chainCoordMap, cropOffset, spatialLayersOf, cropTo,
  FCN, type FCNOptions, type FcnVariant, type FcnCropOffsets, FCN_VGG16_STAGES, fcn32sVgg16, fcn16sVgg16, fcn8sVgg16, fcnStateDictFromVgg16,
  IntermediateLayerGetter, FCNResNet, FCNHead, type FCNOutputs, type FCNResNetOptions, fcnResnet50, resizeLikeTorch,
  FCNTiny, type FCNTinyOptions, fcnTiny, FCN_TINY_SHAPES_RECIPE, type FcnTinyTrainOptions, initialiseFcnTiny, trainFcnTiny,
} from './fcn/index.js';
export { type MetricOptions, confusionMatrix, pixelAccuracy, perClassIoU, meanIoU } from './metrics.js';
export { vocColormap } from './colormap.js';
export {
  type ImageRgb, type Prediction, type PredictOptions,
  argmaxClassMap, classProbabilities, predictSegmentation, colorizeMask, probabilityHeatmap, overlayMask,
} from './predict.js';
export { SHAPE_CLASSES, type ShapesOptions, type ShapesDataSet, makeShapes } from './datasets/shapes.js';
export {
  Segmenter, type SegmenterImages, type SegmentationMasks, type SegmentationLosses, type Normalisation, IGNORE_INDEX, totalSegmentationLoss, isSegmenter,
} from './segmenter.js';
