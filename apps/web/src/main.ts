import * as tf from '@tensorflow/tfjs-core';
import { type ModelEntry, type Module, StateDictError, type Task, WeightsFormatError, getModelEntry } from '@convkit/core';
import sampleImageUrl from './assets/chelsea.jpg';
import { activateBackend, availableBackends } from './backends.js';
import { Explorer } from './explorer.js';
import { byId, megabytes } from './format.js';
import { decodeImage, toInput } from './image.js';
import { TASK_LABELS, modelsFor, registeredTasks } from './models.js';
import { TASK_VIEWS } from './tasks/index.js';
import { readWeightsFile } from './weights.js';

const ui = {
  task: byId<HTMLSelectElement>('task'),
  model: byId<HTMLSelectElement>('model'),
  backend: byId<HTMLSelectElement>('backend'),
  backendStatus: byId<HTMLParagraphElement>('backend-status'),
  drop: byId<HTMLDivElement>('drop'),
  preview: byId<HTMLImageElement>('preview'),
  imageName: byId<HTMLSpanElement>('image-name'),
  imageFile: byId<HTMLInputElement>('image-file'),
  weightsFile: byId<HTMLInputElement>('weights-file'),
  weightsProgress: byId<HTMLProgressElement>('weights-progress'),
  weightsStatus: byId<HTMLParagraphElement>('weights-status'),
  randomWeights: byId<HTMLParagraphElement>('random-weights'),
  error: byId<HTMLParagraphElement>('error'),
  run: byId<HTMLButtonElement>('run-button'),
  timing: byId<HTMLParagraphElement>('timing'),
  result: byId<HTMLDivElement>('result'),
};

/** The model being run, created on first use and kept (with any loaded weights) until another is picked. */
let current: { entry: ModelEntry; model: Module<tf.Tensor, unknown>; weights: string | null } | null = null;
let image: { bitmap: ImageBitmap; name: string } | null = null;
let busy = false;

function showError(error: unknown): void {
  const e = error as Error;
  // WeightsFormatError and StateDictError name what is wrong with the file; keep their words.
  const text = e instanceof WeightsFormatError || e instanceof StateDictError ? `${e.name}: ${e.message}` : (e?.message ?? String(error));
  ui.error.textContent = text;
  ui.error.hidden = false;
}

function clearError(): void {
  ui.error.hidden = true;
  ui.error.textContent = '';
}

function setBusy(value: boolean): void {
  busy = value;
  ui.run.disabled = value || !image;
  document.body.dataset.state = value ? 'busy' : 'ready';
}

/** Runs `work` with the controls locked and its error shown. */
async function guarded(work: () => Promise<void>): Promise<void> {
  if (busy) return;
  setBusy(true);
  clearError();
  try {
    await work();
  } catch (error) {
    showError(error);
  } finally {
    setBusy(false);
  }
}

function selectedEntry(): ModelEntry {
  return getModelEntry(ui.model.value);
}

/** The selected model, created (with random weights) if it is not the current one. */
function currentModel(): NonNullable<typeof current> {
  const entry = selectedEntry();
  if (current?.entry.name !== entry.name) {
    current?.model.dispose();
    current = { entry, model: entry.create(), weights: null };
    current.model.eval();
    showWeights();
  }
  return current;
}

function showWeights(): void {
  ui.randomWeights.hidden = !!current?.weights;
  ui.weightsStatus.textContent = current?.weights ? `Weights: ${current.weights}` : 'Weights: random (as initialised by the model)';
}

function fillModels(task: Task): void {
  ui.model.replaceChildren(...modelsFor(task).map((e) => new Option(`${e.name}: ${e.description}`, e.name)));
}

async function fillBackends(): Promise<void> {
  const statuses = await availableBackends();
  ui.backend.replaceChildren(...statuses.map((s) => {
    const option = new Option(s.available ? s.name : `${s.name} (unavailable)`, s.name);
    option.disabled = !s.available;
    if (s.reason) option.title = s.reason;
    return option;
  }));
  const missing = statuses.filter((s) => !s.available).map((s) => `${s.name}: ${s.reason}`);
  if (missing.length) ui.backendStatus.dataset.unavailable = missing.join('; ');
}

async function switchBackend(name?: string): Promise<void> {
  const { name: active, detail } = await activateBackend(name);
  ui.backend.value = active;
  const unavailable = ui.backendStatus.dataset.unavailable;
  ui.backendStatus.textContent = `Running on ${active}: ${detail}.${unavailable ? ` Not available here: ${unavailable}.` : ''}`;
}

async function setImage(source: Blob | string, name: string): Promise<void> {
  const bitmap = await decodeImage(source);
  image?.bitmap.close();
  image = { bitmap, name };
  if (ui.preview.src.startsWith('blob:')) URL.revokeObjectURL(ui.preview.src);
  ui.preview.src = typeof source === 'string' ? source : URL.createObjectURL(source);
  ui.imageName.textContent = `${name}, ${bitmap.width}x${bitmap.height}`;
}

async function run(): Promise<void> {
  const view = TASK_VIEWS[ui.task.value as Task];
  if (!view) throw new Error(`the demo has no result view for ${ui.task.value} yet (apps/web/src/tasks/); explore the architecture instead`);
  if (!image) throw new Error('pick an image first');
  const { entry, model } = currentModel();
  const backend = tf.getBackend();
  ui.timing.textContent = `Running ${entry.name} on ${backend}…`;
  const x = toInput(image.bitmap, entry.inputShape);
  const outputs: tf.Tensor[] = [];
  try {
    const start = performance.now();
    const output = model.call(x);
    outputs.push(...collectTensors(output));
    const result = await view.interpret(output, entry);
    const ms = performance.now() - start;
    view.render(result, ui.result, image.bitmap);
    ui.timing.textContent = `${entry.name} on ${backend}: ${ms.toFixed(0)} ms for one ${entry.inputShape[0]}x${entry.inputShape[1]} image` +
      ' (the first run on a backend includes uploading weights and compiling kernels).';
  } finally {
    tf.dispose([x, ...outputs]);
  }
}

function collectTensors(value: unknown): tf.Tensor[] {
  if (value instanceof tf.Tensor) return [value];
  if (Array.isArray(value)) return value.flatMap(collectTensors);
  if (value && typeof value === 'object') return Object.values(value).flatMap(collectTensors);
  return [];
}

async function loadWeights(file: File): Promise<void> {
  const target = currentModel();
  ui.weightsProgress.hidden = false;
  ui.weightsProgress.value = 0;
  ui.weightsStatus.textContent = `Reading ${file.name} (${megabytes(file.size)})…`;
  try {
    const tensors = await readWeightsFile(file, (fraction) => {
      ui.weightsProgress.value = fraction;
    });
    ui.weightsStatus.textContent = `Loading ${tensors.size} tensors into ${target.entry.name}…`;
    target.model.loadStateDict(tensors);
    target.weights = `${file.name}, ${tensors.size} tensors`;
  } finally {
    ui.weightsProgress.hidden = true;
    showWeights();
  }
}

async function main(): Promise<void> {
  const tasks = registeredTasks();
  if (tasks.length === 0) throw new Error('no model is registered: the build lost the model packages’ registrations');
  ui.task.replaceChildren(...tasks.map((t) => new Option(TASK_VIEWS[t] ? TASK_LABELS[t] : `${TASK_LABELS[t]} (explore only)`, t)));
  fillModels(tasks[0]!);
  const explorer = new Explorer(modelsFor(), showError);

  ui.task.addEventListener('change', () => {
    fillModels(ui.task.value as Task);
    ui.result.replaceChildren();
    explorer.show(ui.model.value);
  });
  ui.model.addEventListener('change', () => {
    ui.result.replaceChildren();
    ui.timing.textContent = '';
    explorer.show(ui.model.value);
    void guarded(async () => {
      currentModel();
    });
  });
  ui.backend.addEventListener('change', () => void guarded(() => switchBackend(ui.backend.value)));
  ui.run.addEventListener('click', () => void guarded(run));
  ui.imageFile.addEventListener('change', () => {
    const file = ui.imageFile.files?.[0];
    if (file) void guarded(() => setImage(file, file.name));
  });
  ui.weightsFile.addEventListener('change', () => {
    const file = ui.weightsFile.files?.[0];
    ui.weightsFile.value = '';
    if (file) void guarded(() => loadWeights(file));
  });
  ui.drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    ui.drop.classList.add('over');
  });
  ui.drop.addEventListener('dragleave', () => ui.drop.classList.remove('over'));
  ui.drop.addEventListener('drop', (event) => {
    event.preventDefault();
    ui.drop.classList.remove('over');
    const file = event.dataTransfer?.files[0];
    if (file) void guarded(() => setImage(file, file.name));
  });

  await fillBackends();
  await switchBackend();
  await setImage(sampleImageUrl, 'Chelsea the cat (sample)');
  currentModel();
  explorer.show(ui.model.value);
}

setBusy(true);
main().then(() => setBusy(false), (error) => {
  showError(error);
  document.body.dataset.state = 'failed';
});
