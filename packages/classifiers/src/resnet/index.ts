export { BasicBlock, Bottleneck, type BlockOptions, type BlockType, type NormLayer } from './blocks.js';
export { ResNet, type ResNetOptions, type ResNetFeatures, resnet18, resnet34, resnet50, resnet101, resnet152 } from './resnet.js';
export {
  CifarResNet, ZeroPadShortcut, type CifarResNetOptions,
  cifarResnet, cifarResnet20, cifarResnet32, cifarResnet44, cifarResnet56, cifarResnet110,
} from './cifar-resnet.js';
