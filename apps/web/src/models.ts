import { type ModelEntry, type Task, listModels } from '@convkit/core';
// Each model package registers its models on import: adding segmentation or detection to the demo is one line here.
import '@convkit/classifiers';

export const TASK_LABELS: Record<Task, string> = {
  classification: 'Classification',
  segmentation: 'Segmentation',
  detection: 'Detection',
};

/** The tasks that have at least one registered model, in the registry's order. */
export function registeredTasks(): Task[] {
  return [...new Set(listModels().map((m) => m.task))];
}

export function modelsFor(task?: Task): ModelEntry[] {
  return listModels(task ? { task } : {});
}
