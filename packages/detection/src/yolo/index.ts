export { Yolo, type YoloOptions, type YoloLayer, YOLOV1_LAYERS, YOLO_TINY_LAYERS, makeYoloLayers, yolov1, yolov1ParamCount, yoloTiny } from './yolo.js';
export { type YoloGeometry, type YoloTargets, type YoloTargetOptions, type YoloLossOptions, yoloTargets, yoloLoss } from './loss.js';
export { type DecodeOptions, decodeYolo, decodeYoloHost } from './decode.js';
export { type YoloTrainOptions, yoloGeometry, trainYolo, detectYolo } from './train.js';
