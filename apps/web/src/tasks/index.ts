import type { Task } from '@convkit/core';
import { classificationView } from './classification.js';
import { detectionView } from './detection.js';
import { segmentationView } from './segmentation.js';
import type { TaskView } from './types.js';

/** One view per task; a task whose models are registered but that has no view here can be explored, not run. */
export const TASK_VIEWS: Partial<Record<Task, TaskView<any>>> = {
  classification: classificationView,
  segmentation: segmentationView,
  detection: detectionView,
};
