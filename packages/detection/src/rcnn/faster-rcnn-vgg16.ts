import { registerModel } from '@convkit/core';
import type { StateDict } from '@convkit/core';
import { initVggWeights, makeVggLayers } from '@convkit/classifiers';
import type { Backbone } from './backbone.js';
import { FasterRCNN, type FasterRCNNOptions } from './faster-rcnn.js';
import { VOC_CATEGORIES } from '../categories.js';
import { OBJECT_DETECTION_PREPROCESSING } from '../detector.js';

/** VGG-16 (configuration D) up to conv5_3 and its ReLU: the last max-pool is left out, so the stride is 16. */
const VGG16_CONV5_3 = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512] as const;

/** VGG-16's 13 convolutions as `backbone.0` .. `backbone.28`, the indices of torchvision's `features.N`. */
export function vgg16Backbone(options: { initWeights?: boolean } = {}): Backbone {
  const body = makeVggLayers([...VGG16_CONV5_3]);
  if (options.initWeights ?? true) initVggWeights(body);
  return { body, stride: 16, outChannels: 512 };
}

export type FasterRCNNVgg16Options = Omit<FasterRCNNOptions, 'backbone'> & { initWeights?: boolean };

/**
 * Faster R-CNN as Ren et al. 2015 built it on VGG-16: conv5_3 features at stride 16, a 3x3x512 RPN conv
 * with 2 scores and 4 coordinates for each of 9 anchors (128, 256, 512 px x ratios 0.5, 1, 2), RoI
 * pooling to 7x7 (`pooling: 'align'` for RoI Align), fc6 and fc7 at 4096, and 21 outputs (PASCAL VOC's 20
 * classes and the background). Square inputs of `inputSize` (default 600, the paper's shorter side).
 * Proposals: 12000 / 2000 before / after NMS in training, 6000 / 300 at test time (py-faster-rcnn);
 * 256 anchors and 128 RoIs per image in the losses.
 */
export function fasterrcnnVgg16(options: FasterRCNNVgg16Options = {}): FasterRCNN {
  return new FasterRCNN({
    numClasses: 20,
    inputSize: 600,
    anchorSizes: [128, 256, 512],
    aspectRatios: [0.5, 1, 2],
    pooling: 'pool',
    roiOutputSize: 7,
    roiHidden: 4096,
    rpnScoresPerAnchor: 2,
    rpnBatchSize: 256,
    roiBatchSize: 128,
    ...options,
    trainProposals: { preNmsTopN: 12000, postNmsTopN: 2000, ...options.trainProposals },
    testProposals: { preNmsTopN: 6000, postNmsTopN: 300, ...options.testProposals },
    backbone: vgg16Backbone(options),
  });
}

/**
 * A VGG-16 classifier's state dict (torchvision's names) -> the part Faster R-CNN starts from, as the
 * paper initialises it: `features.N` (the 13 convolutions) -> `backbone.N`, `classifier.0` (fc6) ->
 * `roi_heads.fc.1`, `classifier.3` (fc7) -> `roi_heads.fc.3`; the classifier's last layer is dropped.
 * Load with `{ strict: false }`: the RPN and the two output layers keep their initialisation.
 */
export function vgg16ToFasterRcnn(vgg: StateDict): StateDict {
  const out: StateDict = new Map();
  for (const [name, tensor] of vgg) {
    const feature = /^features\.(\d+)\.(weight|bias)$/.exec(name);
    if (feature && Number(feature[1]) < 30) out.set(`backbone.${feature[1]}.${feature[2]}`, tensor);
    const fc = /^classifier\.([03])\.(weight|bias)$/.exec(name);
    if (fc) out.set(`roi_heads.fc.${fc[1] === '0' ? 1 : 3}.${fc[2]}`, tensor);
  }
  return out;
}

registerModel({
  name: 'fasterrcnn_vgg16',
  task: 'detection',
  family: 'rcnn',
  description: 'Faster R-CNN (Ren et al. 2015) on VGG-16 conv5_3 (stride 16): RPN with 9 anchors of 128-512 px and 2 scores each, RoI pooling 7x7, fc6/fc7 4096; PASCAL VOC 20 classes',
  inputShape: [600, 600, 3],
  minInputSize: 16,
  numClasses: 20,
  preprocessing: OBJECT_DETECTION_PREPROCESSING,
  categories: VOC_CATEGORIES,
  reference: { params: 137_078_239, source: 'Ren et al. 2015 arithmetic: VGG-16 conv1_1..conv5_3, RPN 3x3x512 and 512 x (4 + 2) x 9, fc6, fc7, 21 + 84 outputs, with biases' },
  create: (options = {}) => fasterrcnnVgg16(options as FasterRCNNVgg16Options),
});
