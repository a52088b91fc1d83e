import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Dropout, IMAGENET_MEAN, IMAGENET_STD, ReLU, Sequential, VOC_CATEGORIES, registerModel } from '@convkit/core';
import { resnet50 } from '@convkit/classifiers';
import { IntermediateLayerGetter } from './intermediate-layer-getter.js';
import { Segmenter } from '../segmenter.js';

/** torchvision's FCNHead: 3x3 conv to in/4 channels (no bias), BatchNorm, ReLU, Dropout(0.1), 1x1 conv to the classes. */
export class FCNHead extends Sequential {
  constructor(inChannels: number, channels: number) {
    const inter = Math.floor(inChannels / 4);
    super(
      new Conv2d(inChannels, inter, 3, { padding: 1, bias: false }),
      new BatchNorm2d(inter),
      new ReLU(),
      new Dropout(0.1),
      new Conv2d(inter, channels, 1),
    );
  }
}

/** Training output with the auxiliary head: both [N, H, W, numClasses]. */
export interface FCNOutputs {
  out: tf.Tensor4D;
  aux: tf.Tensor4D;
}

export interface FCNResNetOptions {
  numClasses?: number;
  /** The auxiliary FCNHead on layer3 (torchvision's aux_loss). Default true, as the published weights. */
  auxLoss?: boolean;
  /** torchvision's initialisation of the backbone; false skips it (for weights about to be loaded). */
  initWeights?: boolean;
}

/**
 * torchvision's FCN (`_SimpleSegmentationModel`) with a dilated ResNet-50 (output stride 8): the backbone's
 * layer4 through an FCNHead, bilinearly resized to the input size (align_corners=False: tfjs's
 * halfPixelCenters). Parameter names are torchvision's: backbone.conv1.weight, classifier.0.weight,
 * aux_classifier.4.bias. x: [N, H, W, 3] -> logits [N, H, W, numClasses] in eval mode; in training mode with
 * the aux head, { out, aux } (the aux head reads layer3).
 */
export class FCNResNet extends Segmenter<tf.Tensor | FCNOutputs> {
  readonly numClasses: number;
  readonly backbone: IntermediateLayerGetter;
  readonly classifier: FCNHead;
  readonly auxClassifier: FCNHead | null;

  constructor(options: FCNResNetOptions = {}) {
    super();
    const numClasses = (this.numClasses = options.numClasses ?? 21);
    const auxLoss = options.auxLoss ?? true;
    // The classification head is dropped by the layer getter; one output class keeps it small until then.
    const resnet = resnet50({ numClasses: 1, replaceStrideWithDilation: [false, true, true], initWeights: options.initWeights ?? true });
    this.backbone = this.registerModule('backbone', new IntermediateLayerGetter(resnet, auxLoss ? { layer3: 'aux', layer4: 'out' } : { layer4: 'out' }));
    this.classifier = this.registerModule('classifier', new FCNHead(2048, numClasses));
    this.auxClassifier = auxLoss ? this.registerModule('aux_classifier', new FCNHead(1024, numClasses)) : null;
  }

  forward(x: tf.Tensor): tf.Tensor | FCNOutputs {
    const size: [number, number] = [x.shape[1]!, x.shape[2]!];
    return tf.tidy(() => {
      const features = this.backbone.call(x);
      const out = resizeLikeTorch(this.classifier.call(features.out!), size);
      if (!this.training || !this.auxClassifier) return out;
      return { out, aux: resizeLikeTorch(this.auxClassifier.call(features.aux!), size) };
    });
  }
}

/** F.interpolate(x, size, mode='bilinear', align_corners=False) on NHWC: half-pixel centres, no corner alignment. */
export function resizeLikeTorch(x: tf.Tensor, size: [number, number]): tf.Tensor4D {
  return tf.image.resizeBilinear(x as tf.Tensor4D, size, false, true);
}

export const fcnResnet50 = (options: FCNResNetOptions = {}): FCNResNet => new FCNResNet(options);

registerModel({
  name: 'fcn_resnet50',
  task: 'segmentation',
  family: 'fcn',
  description: "torchvision's FCN: ResNet-50 dilated to output stride 8, FCNHead, auxiliary head on layer3, bilinear resize",
  inputShape: [520, 520, 3],
  // Every stride-2 layer is padded, so a 1x1 input reaches the heads as 1x1 and is resized back (fcn-resnet.test.ts).
  minInputSize: 1,
  numClasses: 21,
  // torchvision's COCO_WITH_VOC_LABELS_V1 weights: SemanticSegmentation(resize_size=520), the shorter side to
  // 520 (bilinear, antialiased as on a PIL image) and ImageNet's mean and std; VOC's classes, background at 0.
  preprocessing: { colour: 'rgb', resize: 520, mean: IMAGENET_MEAN, std: IMAGENET_STD },
  categories: VOC_CATEGORIES,
  reference: { params: 35_322_218, gmacs: 152.717, source: 'torchvision 0.14 fcn_resnet50 COCO_WITH_VOC_LABELS_V1 metadata (num_params, GFLOPS at 520x520)' },
  create: (options = {}) => fcnResnet50(options as FCNResNetOptions),
});
