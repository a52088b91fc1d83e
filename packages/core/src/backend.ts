import * as tf from '@tensorflow/tfjs-core';

export type Environment = 'node' | 'browser';

export type Availability = { available: true } | { available: false; reason: string };

/**
 * What a backend package exports: it knows whether it can run here and how to register its tfjs backend.
 * `name` is the tfjs backend name ('cpu', 'wasm', 'webgl', 'cuda'); higher `priority` wins the default.
 */
export interface BackendPlugin {
  name: string;
  priority: number;
  isAvailable(): Promise<Availability>;
  /** Registers the tfjs backend; called once, before the first `useBackend` of this name. */
  load(): Promise<void>;
}

export interface BackendStatus {
  name: string;
  priority: number;
  available: boolean;
  /** Why the backend cannot be used here; absent when it can. */
  reason?: string;
  active: boolean;
}

const plugins = new Map<string, BackendPlugin>();
const loaded = new Map<string, Promise<void>>();

export function currentEnvironment(): Environment {
  return typeof window !== 'undefined' && typeof document !== 'undefined' ? 'browser' : 'node';
}

/** Adds a plugin to the registry; importing a backend package's main entry does this. */
export function registerBackendPlugin(plugin: BackendPlugin): void {
  plugins.set(plugin.name, plugin);
}

export function registeredBackendPlugins(): BackendPlugin[] {
  return [...plugins.values()].sort((a, b) => b.priority - a.priority);
}

async function availability(plugin: BackendPlugin): Promise<Availability> {
  try {
    return await plugin.isAvailable();
  } catch (error) {
    return { available: false, reason: `availability check failed: ${(error as Error).message}` };
  }
}

/** Every registered backend, best first, with the reason for each one that cannot run here. */
export async function availableBackends(): Promise<BackendStatus[]> {
  const active = activeBackendName();
  return Promise.all(
    registeredBackendPlugins().map(async (plugin) => {
      const a = await availability(plugin);
      return { name: plugin.name, priority: plugin.priority, available: a.available, ...(a.available ? {} : { reason: a.reason }), active: plugin.name === active };
    }),
  );
}

function activeBackendName(): string | null {
  try {
    return tf.engine().backendName ?? null;
  } catch {
    return null;
  }
}

/** Every backend convkit ships, by name, with the package that registers it. */
const BACKEND_PACKAGES: Record<string, string> = {
  cpu: '@convkit/backend-cpu',
  wasm: '@convkit/backend-wasm',
  onednn: '@convkit/backend-onednn',
  webgl: '@convkit/backend-webgl',
  webgpu: '@convkit/backend-webgpu',
  cuda: '@convkit/backend-cuda',
  tensorflow: '@convkit/backend-tfjs-node',
};

/**
 * Makes `name` the backend for all following tensor work, or, without a name, the best available
 * registered one. Resolves to the backend's name; rejects with the reason when it cannot be used.
 */
export async function useBackend(name?: string): Promise<string> {
  const plugin = name === undefined ? await bestPlugin() : plugins.get(name);
  if (!plugin) {
    const known = [...plugins.keys()];
    const pkg = BACKEND_PACKAGES[name!];
    throw new Error(
      `backend '${name}' is not registered; ${known.length ? `registered: ${known.join(', ')}` : 'none is registered'}. ` +
        (pkg ? `Install and import its package: import '${pkg}'` : `convkit's backends are ${Object.keys(BACKEND_PACKAGES).join(', ')}`),
    );
  }
  const a = await availability(plugin);
  if (!a.available) throw new Error(`backend '${plugin.name}' is not available here: ${a.reason}`);
  if (!loaded.has(plugin.name)) loaded.set(plugin.name, plugin.load());
  try {
    await loaded.get(plugin.name);
  } catch (error) {
    loaded.delete(plugin.name);
    throw new Error(`backend '${plugin.name}' failed to load: ${(error as Error).message}`, { cause: error });
  }
  if (!(await tf.setBackend(plugin.name))) throw new Error(`backend '${plugin.name}' failed to initialise`);
  await tf.ready();
  return plugin.name;
}

async function bestPlugin(): Promise<BackendPlugin> {
  const reasons: string[] = [];
  for (const plugin of registeredBackendPlugins()) {
    const a = await availability(plugin);
    if (a.available) return plugin;
    reasons.push(`${plugin.name}: ${a.reason}`);
  }
  throw new Error(
    plugins.size
      ? `no registered backend is available here (${reasons.join('; ')})`
      : "no backend is registered: import one, e.g. import '@convkit/backend-wasm'",
  );
}
