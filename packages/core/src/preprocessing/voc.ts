/** PASCAL VOC's 20 object classes after background at 0, torchvision 0.14's `_VOC_CATEGORIES` (models/_meta.py). */
export const VOC_CATEGORIES: readonly string[] = [
  '__background__', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow', 'diningtable',
  'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
];
