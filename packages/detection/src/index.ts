export { type BoxFormat, boxArea, boxIou, boxConvert, clipBoxesToImage, removeSmallBoxes } from './ops/boxes.js';
export { BoxCoder, type BoxCoderWeights, BBOX_XFORM_CLIP } from './ops/box-coder.js';
export { nms, batchedNms, nmsHost, batchedNmsHost } from './ops/nms.js';
export { type OutputSize } from './ops/roi-common.js';
export { roiPool } from './ops/roi-pool.js';
export { roiAlign, type RoiAlignOptions } from './ops/roi-align.js';
export { AnchorGenerator, generateCellAnchors } from './ops/anchors.js';
export { FrozenBatchNorm2d } from './ops/frozen-batch-norm2d.js';
export { FeaturePyramidNetwork } from './ops/feature-pyramid-network.js';
export { multiScaleRoiAlign, mapLevels, inferScale, type MultiScaleRoIAlignOptions } from './ops/multi-scale-roi-align.js';
export { Matcher, BalancedPositiveNegativeSampler } from './ops/matcher.js';
export { type RgbImage } from './selective-search/image.js';
export { felzenszwalb, type FelzenszwalbOptions } from './selective-search/felzenszwalb.js';
export { graphSegmentation, type GraphSegmentationOptions } from './selective-search/graph-segmentation.js';
export { selectiveSearch, type SelectiveSearchOptions } from './selective-search/selective-search.js';
export { SHAPE_CLASSES, type DetectionSample, type ShapesOptions, syntheticShapes, shapesSplits, imagesToTensor } from './datasets/shapes.js';
export { type Detections, type GroundTruth, type Evaluation, type EvaluationOptions, averagePrecision, evaluateDetections } from './metrics.js';
export {
  Yolo, type YoloOptions, type YoloLayer, YOLOV1_LAYERS, YOLO_TINY_LAYERS, makeYoloLayers, yolov1, yolov1ParamCount, yoloTiny,
  type YoloGeometry, type YoloTargets, type YoloTargetOptions, type YoloLossOptions, yoloTargets, yoloLoss,
  type DecodeOptions, decodeYolo, decodeYoloHost,
  type YoloTrainOptions, yoloGeometry, trainYolo, detectYolo,
} from './yolo/index.js';
export {
  type Backbone, smallBackbone, RPNHead, type ProposalOptions, type RpnTargets, filterProposals, rpnTargets, rpnLoss,
  RoIHeads, type RoIHeadsOptions, type RoITargets, type RoISamplingOptions, type PostprocessOptions, sampleRoiTargets, roiHeadsLoss, postprocessDetections,
  FasterRCNN, type FasterRCNNOptions, fasterrcnnSmall, type FasterRCNNVgg16Options, fasterrcnnVgg16, vgg16Backbone, vgg16ToFasterRcnn,
  FastRCNN, type FastRCNNOptions, type GroundTruthWithProposals, type RegionProposalOptions, fastrcnnSmall, regionProposals,
  RCNN, type RCNNOptions, rcnnSmall,
  type DetectorTrainOptions, trainDetector,
  GeneralizedRCNNTransform, type GeneralizedRCNNTransformOptions, type ImageList,
  BackboneWithFPN, ResNetBody, resnet50FpnBackbone,
  PyramidRPNHead, type PyramidProposalOptions, type RegionProposals, RegionProposalNetwork, filterPyramidProposals,
  TwoMLPHead, FastRCNNPredictor, PyramidRoIHeads, FasterRCNNFPN, type FasterRCNNFPNOptions, type FasterRCNNSteps, fasterrcnnResnet50Fpn,
} from './rcnn/index.js';
export { type EpochOptions, trainEpochs } from './train.js';
export {
  type Detector, type DetectorImages, type DetectionTarget, type DetectionLosses, isDetector, totalLoss, imageToTensor, imageSizes, detectAtSize, batchImage, OBJECT_DETECTION_PREPROCESSING,
} from './detector.js';
export { type ShapesRecipe, SHAPES_RECIPES, FASTERRCNN_VGG16_SHAPES } from './recipes.js';
export { COCO_V1_CATEGORIES, VOC_CATEGORIES, labelNames } from './categories.js';
export { drawDetections, type DrawOptions, type RgbaImage, LABEL_COLOURS } from './draw/draw.js';
