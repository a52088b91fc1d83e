export { DataError } from './errors.js';
export { type Image, type ByteImage, type FloatImage, checkImage } from './image.js';
export { decodeImage, decodePaletteIndices, declaredSize, notAnImage, DEFAULT_MAX_MEGAPIXELS, type DecodeOptions } from './decode.js';
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

export type { Dataset, DatasetSpec, Example, CocoImageRef } from './datasets/dataset.js';
export { ImageFolder } from './datasets/image-folder.js';
export { IdxDataset, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC } from './datasets/idx.js';
export { VocDataset, VOC_CLASSES, VOC_SEGMENTATION_CLASSES, parseVocAnnotation, type VocOptions } from './datasets/voc.js';
export { CocoDataset, type CocoOptions } from './datasets/coco.js';
export { datasetFromSpec } from './datasets/from-spec.js';
export { openDataset, detectFormat, type DatasetFormat, type OpenOptions } from './datasets/open.js';

export { DataLoader, defaultWorkers, type LoaderOptions, type Progress } from './loader/loader.js';
export type { Batch, Target } from './loader/collate.js';
export type { Skipped } from './loader/job.js';

export { evaluateCoco, type CocoGroundTruth, type CocoAnnotation, type CocoDetection, type CocoSummary } from './eval/coco-eval.js';
export { evaluateVoc, vocAveragePrecision, type VocDetections, type VocGroundTruth, type VocEvaluationOptions, type VocEvaluation } from './eval/voc-ap.js';
