export {
  VGG, type VGGOptions, type VggConfig, VGG_CONFIGS, makeVggLayers, initVggWeights,
  vgg11, vgg11Bn, vgg13, vgg13Bn, vgg16, vgg16Bn, vgg19, vgg19Bn,
} from './vgg.js';
