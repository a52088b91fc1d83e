/**
 * COCO's categories by torchvision's label id, torchvision's `_COCO_CATEGORIES` (the `COCO_V1` weights'
 * `meta['categories']`): 0 is the background and the ids the 2017 annotations skip are 'N/A', so that an
 * id indexes the list. convkit's detectors return labels without the background: label l is id l + 1.
 */
export const COCO_V1_CATEGORIES: readonly string[] = [
  '__background__', 'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat',
  'traffic light', 'fire hydrant', 'N/A', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse',
  'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe', 'N/A', 'backpack', 'umbrella', 'N/A', 'N/A', 'handbag',
  'tie', 'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball', 'kite', 'baseball bat', 'baseball glove',
  'skateboard', 'surfboard', 'tennis racket', 'bottle', 'N/A', 'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl',
  'banana', 'apple', 'sandwich', 'orange', 'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair',
  'couch', 'potted plant', 'bed', 'N/A', 'dining table', 'N/A', 'N/A', 'toilet', 'N/A', 'tv', 'laptop', 'mouse',
  'remote', 'keyboard', 'cell phone', 'microwave', 'oven', 'toaster', 'sink', 'refrigerator', 'N/A', 'book', 'clock',
  'vase', 'scissors', 'teddy bear', 'hair drier', 'toothbrush',
];

/** PASCAL VOC's 20 classes by 0-based label (torchvision's `_VOC_CATEGORIES` without its background). */
export const VOC_CATEGORIES: readonly string[] = [
  'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow', 'diningtable', 'dog',
  'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
];

/**
 * Names by a detector's 0-based label from a registry entry's categories: a list that starts with the
 * background (as COCO_V1_CATEGORIES) is read from its second entry.
 */
export function labelNames(categories: readonly string[] | undefined): readonly string[] | null {
  if (!categories) return null;
  return categories[0] === '__background__' ? categories.slice(1) : categories;
}
