import * as tf from '@tensorflow/tfjs-core';

/** Pthread workers tfjs-backend-wasm's threaded binary starts with; tfjs never uses more threads than this. */
export const MAX_WASM_THREADS = 8;

/** The priority tfjs-backend-wasm registers 'wasm' with, kept when convkit registers its factory in its place. */
const TFJS_WASM_PRIORITY = 2;

type BackendFactory = () => tf.KernelBackend | Promise<tf.KernelBackend>;

/** What tfjs-backend-wasm's BackendWasm holds: its Emscripten module with the C++ thread-pool calls. */
interface WasmBackendInstance {
  wasm?: { tfjs?: { getThreadsCount?: () => number } };
}

let requested: number | null = null;
let started: { requested: number; threads: number } | null = null;
const wrapped = new WeakSet<BackendFactory>();

function logicalCores(): number {
  return globalThis.navigator?.hardwareConcurrency ?? 1;
}

/** What `requested` means here: 1 to MAX_WASM_THREADS, all logical cores where it is null. */
function resolvedThreads(): number {
  return Math.min(MAX_WASM_THREADS, requested ?? logicalCores());
}

/**
 * How many threads the wasm backend computes with; call it before the backend starts (the first
 * `useBackend('wasm')`), since tfjs fixes its thread pool then. 1 loads the single-threaded SIMD binary.
 * More loads the threaded-SIMD binary where the page is cross-origin isolated (SharedArrayBuffer needs it;
 * elsewhere wasm runs on 1 thread), with that many threads, at most 8 (MAX_WASM_THREADS). null, the
 * default, asks for one thread per logical core (`navigator.hardwareConcurrency`). `wasmThreads()` says
 * what the backend got.
 */
export function setWasmThreads(threads: number | null): void {
  if (threads !== null && !(Number.isInteger(threads) && threads >= 1)) {
    throw new Error(`setWasmThreads: threads must be a whole number of at least 1, or null for all logical cores, not ${threads}`);
  }
  const previous = requested;
  requested = threads;
  if (started && resolvedThreads() !== started.requested) {
    requested = previous;
    throw new Error(
      `setWasmThreads(${threads}): the wasm backend already runs with ${started.threads} thread(s) and tfjs fixes its thread ` +
        'pool when the backend starts; call setWasmThreads before the first useBackend(\'wasm\'), or start a new page or worker',
    );
  }
}

/** The threads the running wasm backend computes with (1 on the single-threaded binary); null before it starts. */
export function wasmThreads(): number | null {
  return started?.threads ?? null;
}

/**
 * Puts convkit's thread setting between tfjs-backend-wasm and the backend it creates: replaces the 'wasm'
 * factory that `tfjs` (the tfjs-backend-wasm module this package imported) registered with one that, when
 * the backend starts, picks the binary, passes the thread count to that same module's `setThreadsCount`
 * and reads back what the C++ thread pool got.
 *
 * tfjs-backend-wasm 4.22's C++ (init_with_threads_count) clamps any thread count to half of
 * `navigator.hardwareConcurrency` (it takes the logical cores for hyper-threads), so on 2 logical cores
 * `setThreadsCount(2)` yields 1 thread. That count is read only while the backend starts, so for that
 * moment `navigator.hardwareConcurrency` reads twice the threads asked for.
 */
export function installThreadSetting(tfjs: { setThreadsCount(threads: number): void }): void {
  const running = tf.findBackend('wasm') as (tf.KernelBackend & WasmBackendInstance) | null;
  if (running) {
    // Started before convkit loaded it (tf.setBackend('wasm') directly): its pool is fixed; report it.
    const threads = threadsOf(running);
    started ??= { requested: threads, threads };
    return;
  }
  const factory = tf.findBackendFactory('wasm') as BackendFactory | null;
  if (!factory || wrapped.has(factory)) return;
  const withThreads: BackendFactory = async () => {
    const threads = resolvedThreads();
    if (threads === 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    const threaded = threads > 1 && (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
    if (threaded) tfjs.setThreadsCount(threads);
    const backend = (threaded ? await withLogicalCores(2 * threads, factory) : await factory()) as tf.KernelBackend & WasmBackendInstance;
    started = { requested: threads, threads: threadsOf(backend) };
    return backend;
  };
  wrapped.add(withThreads);
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', withThreads, TFJS_WASM_PRIORITY);
}

function threadsOf(backend: WasmBackendInstance): number {
  return backend.wasm?.tfjs?.getThreadsCount?.() ?? 1;
}

/** Runs `f` with `navigator.hardwareConcurrency` reading `cores`, then restores it. */
async function withLogicalCores<T>(cores: number, f: () => T | Promise<T>): Promise<T> {
  const nav = globalThis.navigator as Navigator | undefined;
  const shadowed = nav !== undefined && !Object.prototype.hasOwnProperty.call(nav, 'hardwareConcurrency');
  if (shadowed) Object.defineProperty(nav, 'hardwareConcurrency', { configurable: true, get: () => cores });
  try {
    return await f();
  } finally {
    if (shadowed) delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
}
