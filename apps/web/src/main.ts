import { type ModelEntry, type Task, getModelEntry } from '@convkit/core';
import { SAMPLES, type Sample, bundledWeights, defaultModel, defaultSample, recordedMetrics, sampleById } from './bundled.js';
import { Explorer } from './explorer.js';
import { byId, megabytes } from './format.js';
import { decodeImage } from './image.js';
import { TASK_LABELS, modelsFor, registeredTasks } from './models.js';
import { registerServiceWorker } from './offline.js';
import { TASK_VIEWS } from './tasks/index.js';
import { CancelledError, InferenceClient, type Progress } from './worker/client.js';
import type { Started } from './worker/protocol.js';

const ui = {
  task: byId<HTMLSelectElement>('task'),
  model: byId<HTMLSelectElement>('model'),
  backend: byId<HTMLSelectElement>('backend'),
  threads: byId<HTMLSelectElement>('threads'),
  backendStatus: byId<HTMLParagraphElement>('backend-status'),
  drop: byId<HTMLDivElement>('drop'),
  preview: byId<HTMLImageElement>('preview'),
  imageName: byId<HTMLSpanElement>('image-name'),
  imageButton: byId<HTMLButtonElement>('image-button'),
  imageFile: byId<HTMLInputElement>('image-file'),
  sample: byId<HTMLSelectElement>('sample'),
  weightsButton: byId<HTMLButtonElement>('weights-button'),
  weightsFile: byId<HTMLInputElement>('weights-file'),
  weightsProgress: byId<HTMLProgressElement>('weights-progress'),
  weightsBytes: byId<HTMLSpanElement>('weights-bytes'),
  weightsStatus: byId<HTMLParagraphElement>('weights-status'),
  fusion: byId<HTMLParagraphElement>('fusion'),
  randomWeights: byId<HTMLParagraphElement>('random-weights'),
  error: byId<HTMLParagraphElement>('error'),
  run: byId<HTMLButtonElement>('run-button'),
  cancel: byId<HTMLButtonElement>('cancel-button'),
  activity: byId<HTMLParagraphElement>('activity'),
  timing: byId<HTMLParagraphElement>('timing'),
  result: byId<HTMLDivElement>('result'),
};

/** The controls that start work in the worker: disabled while it works, so what they show is what runs. */
const WORK_CONTROLS = [ui.task, ui.model, ui.backend, ui.threads, ui.sample, ui.imageButton, ui.weightsButton, ui.run];

const client = new InferenceClient();
/** What the worker was asked to run on; replayed into a fresh worker after a cancel. */
const settings: { backend: string | null; threads: 1 | null } = { backend: null, threads: null };
let started: Started | null = null;
/** The model the worker holds and a description of its weights (null: random), or null when none is built. */
let built: { entry: ModelEntry; weights: string | null; fusion: string } | null = null;
/** Why the selected model could not be built (its bundled weights failed), shown until it builds. */
let buildFailure: string | null = null;
/** A weights file the visitor loaded, reloaded whenever its model is built again (after a cancel or a backend restart). */
let userWeights: { model: string; file: File } | null = null;
/** The picked image; `sample` when it is one of the demo's (then with its ground truth, if any). */
let image: { bitmap: ImageBitmap; name: string; sample: Sample | null } | null = null;
let busy = false;

function showError(error: unknown): void {
  const e = error as Error;
  // WeightsFormatError and StateDictError name what is wrong with the file; keep their words.
  const named = e?.name === 'WeightsFormatError' || e?.name === 'StateDictError';
  ui.error.textContent = named ? `${e.name}: ${e.message}` : (e?.message ?? String(error));
  ui.error.hidden = false;
}

function clearError(): void {
  ui.error.hidden = true;
  ui.error.textContent = '';
}

function setBusy(value: boolean, activity = ''): void {
  busy = value;
  for (const control of WORK_CONTROLS) control.disabled = value;
  ui.run.disabled = value || !image;
  ui.threads.disabled = value || started?.backend !== 'wasm' || !crossOriginIsolated;
  ui.cancel.hidden = !value;
  ui.activity.textContent = activity;
  document.body.dataset.state = value ? 'busy' : 'ready';
}

/**
 * Runs `work` with the controls locked, a Cancel button and its error shown. Work asked for while other
 * work runs is refused with a message (the controls are disabled then; a dropped file is the one way in).
 */
async function guarded(activity: string, work: () => Promise<void>, options: { keepError?: boolean } = {}): Promise<void> {
  if (busy) {
    showError(new Error(`busy: ${ui.activity.textContent} Wait for it or press Cancel, then try again`));
    return;
  }
  setBusy(true, activity);
  if (!options.keepError) clearError();
  let cancelled = false;
  try {
    await work();
  } catch (error) {
    cancelled = error instanceof CancelledError;
    showError(error);
  } finally {
    setBusy(false);
  }
  if (cancelled) await guarded('Starting a new worker after the cancel…', resume, { keepError: true });
}

/** Replaces the worker (stopping whatever it computes); the new one holds no model. */
function restartWorker(reason: string): void {
  client.restart(reason);
  built = null;
}

/** After a cancel: the fresh worker gets the same backend; the model is built again when it is next needed. */
async function resume(): Promise<void> {
  await startBackend(settings.backend);
  showWeights();
}

function selectedEntry(): ModelEntry {
  return getModelEntry(ui.model.value);
}

function weightsProgress(): Progress {
  ui.weightsProgress.hidden = false;
  ui.weightsProgress.removeAttribute('value');
  return (what, loaded, total) => {
    if (total) ui.weightsProgress.value = loaded / total;
    ui.weightsBytes.textContent = `Reading ${what}: ${megabytes(loaded)}${total ? ` of ${megabytes(total)}` : ''}`;
  };
}

function hideProgress(): void {
  ui.weightsProgress.hidden = true;
  ui.weightsBytes.textContent = '';
}

/** The selected model built in the worker: with its bundled weights, else random ones, then the visitor's file if one was loaded for it. */
async function ensureModel(): Promise<NonNullable<typeof built>> {
  const entry = selectedEntry();
  if (built?.entry.name === entry.name) return built;
  built = null;
  buildFailure = null;
  const bundled = bundledWeights(entry.name);
  ui.weightsStatus.textContent = `Building ${entry.name}${bundled ? ` and reading its bundled ${bundled.file}` : ''} in the worker…`;
  try {
    const reply = await client.call({ kind: 'model', name: entry.name, bundled: bundled && { url: bundled.url, file: bundled.file } }, weightsProgress());
    let weights: string | null = null;
    if (bundled) {
      const metrics = recordedMetrics(reply.metadata ?? {});
      weights = `${bundled.file}, bundled with the demo: trained by convkit on ${bundled.data}` +
        `${metrics.length ? `, ${metrics.join(', ')} (from the file's metadata)` : ''}; made by tools/weights/make-demo-weights.mjs, see assets/README.md`;
    }
    built = { entry, weights, fusion: reply.fusion };
    if (userWeights?.model === entry.name) await loadWeightsInto(built, userWeights.file);
    return built;
  } catch (error) {
    if (!(error instanceof CancelledError)) buildFailure = (error as Error).message;
    throw error;
  } finally {
    hideProgress();
    showWeights();
  }
}

function showWeights(): void {
  const name = ui.model.value;
  const ready = built?.entry.name === name ? built : null;
  ui.randomWeights.hidden = !ready || !!ready.weights;
  ui.fusion.textContent = ready ? `${ready.entry.name}: ${ready.fusion} (fuseForInference, after the weights loaded).` : '';
  if (ready) ui.weightsStatus.textContent = ready.weights ? `Weights: ${ready.weights}` : 'Weights: random (as initialised by the model)';
  else if (buildFailure) ui.weightsStatus.textContent = `Weights: none loaded, so ${name} will not run: ${buildFailure}`;
  else ui.weightsStatus.textContent = `Weights: ${name} is not built yet; it is built in the worker when you run it`;
}

function fillModels(task: Task): void {
  const entries = modelsFor(task);
  ui.model.replaceChildren(...entries.map((e) => new Option(`${e.name}: ${e.description}`, e.name)));
  ui.model.value = defaultModel(entries)?.name ?? '';
}

function fillBackends(reply: Started): void {
  const failed = new Map(Array.from(ui.backend.options).filter((o) => o.dataset.failed).map((o) => [o.value, o.dataset.failed!]));
  ui.backend.replaceChildren(...reply.statuses.map((s) => {
    const reason = s.reason ?? failed.get(s.name);
    const option = new Option(s.available ? (failed.has(s.name) ? `${s.name} (failed to start)` : s.name) : `${s.name} (unavailable)`, s.name);
    option.disabled = !s.available;
    if (failed.has(s.name)) option.dataset.failed = failed.get(s.name)!;
    if (reason) option.title = reason;
    return option;
  }));
}

function describeStarted(reply: Started): string {
  const unavailable = reply.statuses.filter((s) => !s.available).map((s) => `${s.name}: ${s.reason}`);
  const isolation = reply.crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated (the server sends no COOP/COEP headers: wasm runs on one thread)';
  return `Running on ${reply.backend}: ${reply.detail}. In a worker; the page is ${isolation}.` +
    `${unavailable.length ? ` Not available here: ${unavailable.join('; ')}.` : ''}`;
}

/**
 * Starts `name` (or the best backend) in the worker. A backend that fails to start is marked in the menu,
 * the worker is replaced (a half-initialised tfjs backend is not worth trusting) and the previous backend
 * started again, so that the menu always names what runs.
 */
async function startBackend(name: string | null): Promise<void> {
  ui.backendStatus.textContent = `Starting ${name ?? 'the best backend'} in the worker…`;
  let reply: Started;
  try {
    reply = await client.call({ kind: 'start', backend: name, threads: settings.threads });
  } catch (error) {
    if (error instanceof CancelledError || started === null || name === null) throw error;
    const reason = (error as Error).message;
    const option = Array.from(ui.backend.options).find((o) => o.value === name);
    if (option) option.dataset.failed = reason;
    const previous = started.backend;
    restartWorker(`${name} failed to start`);
    settings.backend = previous;
    await startBackend(previous);
    throw new Error(`${name} failed to start, so the demo stays on ${previous}: ${reason}`, { cause: error });
  }
  started = reply;
  settings.backend = reply.backend;
  fillBackends(reply);
  ui.backend.value = reply.backend;
  ui.threads.value = settings.threads === 1 ? '1' : '';
  ui.backendStatus.textContent = describeStarted(reply);
  ui.backendStatus.dataset.threads = reply.threads === null ? '' : String(reply.threads);
}

/** A new wasm thread count needs a new worker: the binary (threaded or not) is chosen once per worker. */
async function setThreads(value: string): Promise<void> {
  settings.threads = value === '1' ? 1 : null;
  restartWorker('the thread count changed');
  await startBackend(settings.backend);
  await ensureModel();
}

async function setImage(source: Blob | string, name: string, sample: Sample | null): Promise<void> {
  const bitmap = await decodeImage(source, name);
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

/** Builds the picked model and, while the image is one of the demo's, shows it on the sample it was trained for. */
async function selectModel(): Promise<void> {
  ui.result.replaceChildren();
  ui.timing.textContent = '';
  const entry = selectedEntry();
  const sample = defaultSample(entry);
  if ((!image || image.sample) && image?.sample?.id !== sample.id) await showSample(sample);
  await ensureModel();
}

async function run(): Promise<void> {
  const entry = selectedEntry();
  const view = TASK_VIEWS[entry.task];
  if (!view) throw new Error(`the demo has no result view for ${entry.task} yet (apps/web/src/tasks/); explore the architecture instead`);
  if (!image) throw new Error('pick an image first');
  // The last result goes as the run starts: a cancelled or failed run must not leave it looking current.
  ui.result.replaceChildren();
  ui.timing.textContent = '';
  await ensureModel();
  ui.activity.textContent = `Running ${entry.name} on ${started?.backend} in the worker…`;
  const copy = await createImageBitmap(image.bitmap);
  const { result, ms, backend } = await client.call({ kind: 'run', image: copy }, undefined, [copy]);
  await view.render(result as never, ui.result, image.bitmap, image.sample?.truth);
  const [height, width] = (result as { input: readonly [number, number] }).input;
  ui.timing.textContent = `${entry.name} on ${backend}: ${ms.toFixed(0)} ms for one ${width}x${height} image, in the worker` +
    ' (the first run on a backend includes uploading weights and compiling kernels).';
}

async function loadWeightsInto(target: NonNullable<typeof built>, file: File): Promise<void> {
  const reply = await client.call({ kind: 'weights', file }, weightsProgress());
  target.weights = `${file.name}, ${reply.tensors} tensors`;
  target.fusion = reply.fusion;
}

async function loadWeights(file: File): Promise<void> {
  try {
    const target = await ensureModel();
    await loadWeightsInto(target, file);
    userWeights = { model: target.entry.name, file };
  } finally {
    hideProgress();
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

  const building = () => `Building ${ui.model.value} in the worker…`;
  ui.task.addEventListener('change', () => {
    fillModels(ui.task.value as Task);
    explorer.show(ui.model.value);
    void guarded(building(), selectModel);
  });
  ui.model.addEventListener('change', () => {
    explorer.show(ui.model.value);
    void guarded(building(), selectModel);
  });
  ui.sample.addEventListener('change', () => void guarded('Decoding the sample…', () => showSample(sampleById(ui.sample.value))));
  ui.backend.addEventListener('change', () => void guarded(`Starting ${ui.backend.value}…`, () => startBackend(ui.backend.value)));
  ui.threads.addEventListener('change', () => void guarded('Starting a new worker with the new thread count…', () => setThreads(ui.threads.value)));
  ui.run.addEventListener('click', () => void guarded(`Running ${ui.model.value}…`, run));
  ui.cancel.addEventListener('click', () => restartWorker(`Cancelled: the worker was stopped (${ui.activity.textContent}) and a new one started`));
  // Real buttons open the hidden file inputs, so that Tab reaches them and Enter or Space picks a file.
  ui.imageButton.addEventListener('click', () => ui.imageFile.click());
  ui.weightsButton.addEventListener('click', () => ui.weightsFile.click());
  ui.imageFile.addEventListener('change', () => {
    const file = ui.imageFile.files?.[0];
    ui.imageFile.value = '';
    if (file) void guarded(`Decoding ${file.name}…`, () => setImage(file, file.name, null));
  });
  ui.weightsFile.addEventListener('change', () => {
    const file = ui.weightsFile.files?.[0];
    ui.weightsFile.value = '';
    if (file) void guarded(`Loading ${file.name} (${megabytes(file.size)}) into ${ui.model.value}…`, () => loadWeights(file));
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
    if (file) void guarded(`Decoding ${file.name}…`, () => setImage(file, file.name, null));
  });

  explorer.show(ui.model.value);
  await guarded('Starting the backend and building the first model in the worker…', async () => {
    await startBackend(null);
    await selectModel();
  });
}

registerServiceWorker(showError);
main().catch((error) => {
  showError(error);
  document.body.dataset.state = 'failed';
});
