export { type Backbone, smallBackbone } from './backbone.js';
export { RPNHead, type ProposalOptions, type RpnTargets, filterProposals, rpnTargets, rpnLoss } from './rpn.js';
export {
  RoIHeads, type RoIHeadsOptions, type RoITargets, type RoISamplingOptions, type PostprocessOptions, sampleRoiTargets, roiHeadsLoss, postprocessDetections,
} from './roi-heads.js';
export { FasterRCNN, type FasterRCNNOptions, fasterrcnnSmall } from './faster-rcnn.js';
export { type FasterRCNNVgg16Options, fasterrcnnVgg16, vgg16Backbone, vgg16ToFasterRcnn } from './faster-rcnn-vgg16.js';
export { FastRCNN, type FastRCNNOptions, type GroundTruthWithProposals, type RegionProposalOptions, fastrcnnSmall, regionProposals } from './fast-rcnn.js';
export { RCNN, type RCNNOptions, rcnnSmall } from './rcnn.js';
export { type DetectorTrainOptions, trainDetector } from './train.js';
export { GeneralizedRCNNTransform, type GeneralizedRCNNTransformOptions, type ImageList } from './generalized-rcnn-transform.js';
export { BackboneWithFPN, ResNetBody, resnet50FpnBackbone } from './backbone-with-fpn.js';
export { PyramidRPNHead, type PyramidProposalOptions, type RegionProposals, RegionProposalNetwork, filterPyramidProposals } from './region-proposal-network.js';
export {
  TwoMLPHead, FastRCNNPredictor, PyramidRoIHeads, FasterRCNNFPN, type FasterRCNNFPNOptions, type FasterRCNNSteps, fasterrcnnResnet50Fpn,
} from './faster-rcnn-fpn.js';
