export { LeNet5, lenet5 } from './lenet/index.js';
export {
  LENET5_DIGITS_RECIPE, lenet5DigitsOrder, greyToInput, digitsTensors, initialiseClassifier, classifierEpoch, classifierAccuracy, trainLenet5Digits,
} from './lenet/recipe.js';
export { AlexNet, type AlexNetOptions, AlexNetPaper, type AlexNetPaperOptions, alexnet, alexnetPaper } from './alexnet/index.js';
export {
  VGG, type VGGOptions, type VggConfig, makeVggLayers, initVggWeights,
  vgg11, vgg11Bn, vgg13, vgg13Bn, vgg16, vgg16Bn, vgg19, vgg19Bn,
} from './vgg/index.js';
export { GoogLeNet, type GoogLeNetOptions, type GoogLeNetOutputs, googlenet } from './googlenet/index.js';
export {
  ResNet, type ResNetOptions, type ResNetFeatures, BasicBlock, Bottleneck, type BlockOptions, type BlockType, type NormLayer,
  resnet18, resnet34, resnet50, resnet101, resnet152,
  CifarResNet, type CifarResNetOptions, ZeroPadShortcut, cifarResnet, cifarResnet20, cifarResnet32, cifarResnet44, cifarResnet56, cifarResnet110,
} from './resnet/index.js';
export {
  DenseNet, type DenseNetOptions, type DenseNetConfig, DenseLayer, DenseBlock, Transition,
  densenet121, densenet161, densenet169, densenet201,
} from './densenet/index.js';
export { type Digits, loadDigits, splitDigits } from './datasets/digits.js';
export { IMAGENET_CATEGORIES } from './imagenet-categories.js';
export { imagenetEval } from './imagenet-eval.js';
