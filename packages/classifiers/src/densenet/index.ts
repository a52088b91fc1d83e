export {
  DenseNet, DenseLayer, DenseBlock, Transition, type DenseNetConfig, type DenseNetOptions,
  densenet121, densenet161, densenet169, densenet201,
} from './densenet.js';
