export { LeNet5, lenet5 } from './lenet/index.js';
export { AlexNet, type AlexNetOptions, AlexNetPaper, type AlexNetPaperOptions, alexnet, alexnetPaper } from './alexnet/index.js';
export {
  VGG, type VGGOptions, type VggConfig, makeVggLayers,
  vgg11, vgg11Bn, vgg13, vgg13Bn, vgg16, vgg16Bn, vgg19, vgg19Bn,
} from './vgg/index.js';
export { GoogLeNet, type GoogLeNetOptions, type GoogLeNetOutputs, googlenet } from './googlenet/index.js';
