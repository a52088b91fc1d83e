import * as tf from '@tensorflow/tfjs-core';
import { type ModelEntry, type Module, StateDictError, type Task, WeightsFormatError, getModelEntry } from '@convkit/core';
import { SAMPLES, type Sample, bundledWeights, defaultModel, defaultSample, recordedMetrics, sampleById } from './bundled.js';
import { activateBackend, availableBackends } from './backends.js';
import { Explorer } from './explorer.js';
import { byId, megabytes } from './format.js';
import { decodeImage } from './image.js';
import { TASK_LABELS, modelsFor, registeredTasks } from './models.js';
import { TASK_VIEWS } from './tasks/index.js';
import { type WeightsFile, fetchWeights, readWeightsFile } from './weights.js';

const ui = {
  task: byId<HTMLSelectElement>('task'),
  model: byId<HTMLSelectElement>('model'),
  backend: byId<HTMLSelectElement>('backend'),
  backendStatus: byId<HTMLParagraphElement>('backend-status'),
  drop: byId<HTMLDivElement>('drop'),
  preview: byId<HTMLImageElement>('preview'),
  imageName: byId<HTMLSpanElement>('image-name'),
  imageFile: byId<HTMLInputElement>('image-file'),
  sample: byId<HTMLSelectElement>('sample'),
  weightsFile: byId<HTMLInputElement>('weights-file'),
  weightsProgress: byId<HTMLProgressElement>('weights-progress'),
  weightsStatus: byId<HTMLParagraphElement>('weights-status'),
  randomWeights: byId<HTMLParagraphElement>('random-weights'),
  error: byId<HTMLParagraphElement>('error'),
  run: byId<HTMLButtonElement>('run-button'),
  timing: byId<HTMLParagraphElement>('timing'),
  result: byId<HTMLDivElement>('result'),
};

/**
 * The model being run, created on first use (with its bundled weights when the demo ships some) and kept,
 * with any weights loaded since, until another is picked.
 */
let current: { entry: ModelEntry; model: Module<tf.Tensor, unknown>; weights: string | null } | null = null;
/** The picked image; `sample` when it is one of the demo's (then with its ground truth, if any). */
let image: { bitmap: ImageBitmap; name: string; sample: Sample | null } | null = null;
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

/** The selected model, created if it is not the current one: with its bundled weights, else random ones. */
async function currentModel(): Promise<NonNullable<typeof current>> {
  const entry = selectedEntry();
  if (current?.entry.name !== entry.name) {
    current?.model.dispose();
    current = { entry, model: entry.create(), weights: null };
    current.model.eval();
    showWeights();
    const bundled = bundledWeights(entry.name);
    if (bundled) {
      const target = current;
      try {
        const file = await withProgress(`Reading the bundled ${bundled.file}…`, (onProgress) => fetchWeights(bundled.url, onProgress));
        target.model.loadStateDict(file.tensors);
        const metrics = recordedMetrics(file.metadata);
        target.weights = `${bundled.file}, bundled with the demo: trained by convkit on ${bundled.data}` +
          `${metrics.length ? `, ${metrics.join(', ')} (from the file's metadata)` : ''}; made by tools/weights/make-demo-weights.mjs, see assets/README.md`;
      } finally {
        showWeights();
      }
    }
  }
  return current;
}

function showWeights(): void {
  ui.randomWeights.hidden = !!current?.weights;
  ui.weightsStatus.textContent = current?.weights ? `Weights: ${current.weights}` : 'Weights: random (as initialised by the model)';
}

/** Reads weights with the progress bar showing. */
async function withProgress(status: string, read: (onProgress: (fraction: number) => void) => Promise<WeightsFile>): Promise<WeightsFile> {
  ui.weightsProgress.hidden = false;
  ui.weightsProgress.value = 0;
  ui.weightsStatus.textContent = status;
  try {
    return await read((fraction) => {
      ui.weightsProgress.value = fraction;
    });
  } finally {
    ui.weightsProgress.hidden = true;
  }
}

function fillModels(task: Task): void {
  const entries = modelsFor(task);
  ui.model.replaceChildren(...entries.map((e) => new Option(`${e.name}: ${e.description}`, e.name)));
  ui.model.value = defaultModel(entries)?.name ?? '';
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

async function setImage(source: Blob | string, name: string, sample: Sample | null): Promise<void> {
  const bitmap = await decodeImage(source);
  image?.bitmap.close();
  image = { bitmap, name, sample };
  if (ui.preview.src.startsWith('blob:')) URL.revokeObjectURL(ui.preview.src);
  ui.preview.src = typeof source === 'string' ? source : URL.createObjectURL(source);
  ui.preview.classList.toggle('small', Math.max(bitmap.width, bitmap.height) < 128);
  ui.imageName.textContent = `${name}, ${bitmap.width}x${bitmap.height}`;
  ui.sample.value = sample?.id ?? '';
  ui.result.replaceChildren();
  ui.timing.textContent = '';
}

const showSample = (sample: Sample) => setImage(sample.url, `Sample: ${sample.label}`, sample);

/** Creates the picked model and, while the image is one of the demo's, shows it on the sample it was trained for. */
async function selectModel(): Promise<void> {
  ui.result.replaceChildren();
  ui.timing.textContent = '';
  const { entry } = await currentModel();
  const sample = defaultSample(entry);
  if ((!image || image.sample) && image?.sample?.id !== sample.id) await showSample(sample);
}

async function run(): Promise<void> {
  const entry = selectedEntry();
  const view = TASK_VIEWS[entry.task];
  if (!view) throw new Error(`the demo has no result view for ${entry.task} yet (apps/web/src/tasks/); explore the architecture instead`);
  if (!image) throw new Error('pick an image first');
  const { model } = await currentModel();
  const backend = tf.getBackend();
  ui.timing.textContent = `Running ${entry.name} on ${backend}…`;
  const start = performance.now();
  const result = await view.run(model, entry, image.bitmap);
  const ms = performance.now() - start;
  await view.render(result, ui.result, image.bitmap, image.sample?.truth);
  const [height, width] = result.input;
  ui.timing.textContent = `${entry.name} on ${backend}: ${ms.toFixed(0)} ms for one ${width}x${height} image` +
    ' (the first run on a backend includes uploading weights and compiling kernels).';
}

async function loadWeights(file: File): Promise<void> {
  const target = await currentModel();
  try {
    const { tensors } = await withProgress(`Reading ${file.name} (${megabytes(file.size)})…`, (onProgress) => readWeightsFile(file, onProgress));
    ui.weightsStatus.textContent = `Loading ${tensors.size} tensors into ${target.entry.name}…`;
    target.model.loadStateDict(tensors);
    target.weights = `${file.name}, ${tensors.size} tensors`;
  } finally {
    showWeights();
  }
}

async function main(): Promise<void> {
  const tasks = registeredTasks();
  if (tasks.length === 0) throw new Error('no model is registered: the build lost the model packages’ registrations');
  ui.task.replaceChildren(...tasks.map((t) => new Option(TASK_VIEWS[t] ? TASK_LABELS[t] : `${TASK_LABELS[t]} (explore only)`, t)));
  fillModels(tasks[0]!);
  const explorer = new Explorer(modelsFor(), showError);

  ui.sample.replaceChildren(new Option('Your image', '', false, false), ...SAMPLES.map((sample) => new Option(sample.label, sample.id)));
  ui.sample.options[0]!.disabled = true;

  ui.task.addEventListener('change', () => {
    fillModels(ui.task.value as Task);
    explorer.show(ui.model.value);
    void guarded(selectModel);
  });
  ui.model.addEventListener('change', () => {
    explorer.show(ui.model.value);
    void guarded(selectModel);
  });
  ui.sample.addEventListener('change', () => void guarded(() => showSample(sampleById(ui.sample.value))));
  ui.backend.addEventListener('change', () => void guarded(() => switchBackend(ui.backend.value)));
  ui.run.addEventListener('click', () => void guarded(run));
  ui.imageFile.addEventListener('change', () => {
    const file = ui.imageFile.files?.[0];
    if (file) void guarded(() => setImage(file, file.name, null));
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
    if (file) void guarded(() => setImage(file, file.name, null));
  });

  await fillBackends();
  await switchBackend();
  await selectModel();
  explorer.show(ui.model.value);
}

setBusy(true);
main().then(() => setBusy(false), (error) => {
  showError(error);
  document.body.dataset.state = 'failed';
});
