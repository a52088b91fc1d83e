import { type ModelEntry, type Task, listModels } from '@convkit/core';
// Each model package registers its models on import.
import '@convkit/classifiers';
import '@convkit/segmentation';
import '@convkit/detection';

export const TASK_LABELS: Record<Task, string> = {
  classification: 'Classification',
  segmentation: 'Segmentation',
  detection: 'Detection',
};

/** The tasks that have at least one registered model, in the order of TASK_LABELS (import order would vary with the bundle). */
export function registeredTasks(): Task[] {
  const tasks = new Set(listModels().map((m) => m.task));
  return (Object.keys(TASK_LABELS) as Task[]).filter((t) => tasks.has(t));
}

export function modelsFor(task?: Task): ModelEntry[] {
  return listModels(task ? { task } : {});
}
