// The browser-safe entry (@convkit/data/transforms): the transforms and what they need, none of the
// file-reading data sets or the worker-thread loader, so a web bundle imports no Node built-ins.
export { DataError } from './errors.js';
export { type Image, type ByteImage, type FloatImage, checkImage } from './image.js';
export { seededRandom, permutation, type Random } from './random.js';
export type { Sample, Transform, TransformSpec, PaddingMode } from './transforms/transform.js';
export { Resize, resizeImage, resizeNearest, resizedSize, resizeBoxes } from './transforms/resize.js';
export { CenterCrop } from './transforms/center-crop.js';
export { RandomResizedCrop, randomResizedCropParams, resizedCrop } from './transforms/random-resized-crop.js';
export { RandomHorizontalFlip, flipImage } from './transforms/random-horizontal-flip.js';
export { Pad, padImage } from './transforms/pad.js';
export { cropImage, cropSample } from './transforms/crop.js';
export { Normalize } from './transforms/normalize.js';
export { ToTensor } from './transforms/to-tensor.js';
export { Grayscale } from './transforms/grayscale.js';
export { Compose } from './transforms/compose.js';
export { transformFromSpec } from './transforms/from-spec.js';
export { evaluateCoco, type CocoGroundTruth, type CocoAnnotation, type CocoDetection, type CocoSummary } from './eval/coco-eval.js';
export { evaluateVoc, vocAveragePrecision, type VocDetections, type VocGroundTruth, type VocEvaluationOptions, type VocEvaluation } from './eval/voc-ap.js';
