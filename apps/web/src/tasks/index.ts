import type { ModelEntry, Task } from '@convkit/core';
import { classificationView } from './classification.js';

/**
 * How the demo shows one task's output. `interpret` turns the model's eval-mode output (tensors it does
 * not own) into plain data, reading back asynchronously; `render` draws that into the result area, with
 * the input image when the task draws on it (masks, boxes).
 */
export interface TaskView<R> {
  interpret(output: unknown, entry: ModelEntry): Promise<R>;
  render(result: R, container: HTMLElement, image: ImageBitmap): void;
}

/** One view per task; a task whose models are registered but that has no view here can be explored, not run. */
export const TASK_VIEWS: Partial<Record<Task, TaskView<any>>> = {
  classification: classificationView,
};
