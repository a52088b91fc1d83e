export {
  GoogLeNet, type GoogLeNetOptions, type GoogLeNetOutputs, BasicConv2d, Inception, InceptionAux, googlenet,
} from './googlenet.js';
