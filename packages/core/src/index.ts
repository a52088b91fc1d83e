import './gradients.js';
export { Module, traceCalls, expectRank, expectChannels, setRefuseNonFiniteInputs } from './module.js';
export type { CallRecord, LoadStateDictOptions, LoadStateDictResult } from './module.js';
export { WeightsFormatError, StateDictError, LayerInputError } from './errors.js';
export { type ParameterLayout, torchShape, transposeHost, toTorchLayout, fromTorchLayout } from './layout.js';
export { type HostTensor, type HostDType, type HostData, type StateDict, elementCount } from './io/host-tensor.js';
export { toFloat32Array } from './io/convert.js';
export { readSafetensors, writeSafetensors } from './io/safetensors.js';
export { readNpy, writeNpy } from './io/npy.js';
export { deterministicStateDict } from './deterministic.js';
export { seededRandom, shuffledIndices } from './random.js';
export { defaultUniform, kaimingNormalFanOut, normal } from './init.js';
export { type Size2, slidingOutputSize } from './layers/args.js';
export { Conv2d, type Conv2dOptions, type ConvFold } from './layers/conv2d.js';
export { ConvTranspose2d, type ConvTranspose2dOptions } from './layers/conv-transpose2d.js';
export { Linear } from './layers/linear.js';
export { MaxPool2d, type Pool2dOptions } from './layers/max-pool2d.js';
export { AvgPool2d, type AvgPool2dOptions } from './layers/avg-pool2d.js';
export { AdaptiveAvgPool2d } from './layers/adaptive-avg-pool2d.js';
export { BatchNorm2d, type BatchNorm2dOptions } from './layers/batch-norm2d.js';
export { ReLU } from './layers/relu.js';
export { LeakyReLU } from './layers/leaky-relu.js';
export { Dropout } from './layers/dropout.js';
export { LocalResponseNorm } from './layers/local-response-norm.js';
export { Flatten } from './layers/flatten.js';
export { Sequential } from './layers/sequential.js';
export { Concat } from './layers/concat.js';
export { Identity } from './layers/identity.js';
export { summary, metaSummary, formatSummary, type ModelSummary, type LayerSummary } from './summary.js';
export { onMetaBackend, isMetaBackend, metaTensor, peakTensorBytes } from './meta/backend.js';
export { fuseForInference, unfuse, type FusionSummary } from './fuse.js';
export { crossEntropy, smoothL1Loss, mseLoss, trainStep } from './train.js';
export { adamStateDict, loadAdamStateDict } from './optimizer-state.js';
export {
  writeCheckpoint, readCheckpoint, optimizerStatePath, CheckpointError, CHECKPOINT_FORMAT,
  type CheckpointFiles, type CheckpointInfo, type EpochRecord, type ReadCheckpoint, type TrainSettings,
} from './checkpoint.js';
export {
  registerBackendPlugin, registeredBackendPlugins, availableBackends, useBackend, currentEnvironment,
  type BackendPlugin, type BackendStatus, type Availability, type Environment,
} from './backend.js';
export { runOnCpu, cpuFallbackKernel } from './cpu-fallback.js';
export { IMAGENET_MEAN, IMAGENET_STD } from './preprocessing/imagenet.js';
export { VOC_CATEGORIES } from './preprocessing/voc.js';
export { resizeBilinearAntialiased, resizedSize } from './preprocessing/resize.js';
export {
  preprocess, applyPreprocessing, type Preprocessing, type ImageBytes, type PreprocessedImage,
} from './preprocessing/preprocess.js';
export {
  registerModel, listModels, getModelEntry, createModel,
  type ModelEntry, type ModelReference, type CreateModelOptions, type Task,
} from './registry.js';
