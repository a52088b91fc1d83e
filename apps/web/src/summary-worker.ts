/// <reference lib="webworker" />
import { type ModelSummary, type Module, getModelEntry, summary, useBackend } from '@convkit/core';
import './wasm-paths.js';
import '@convkit/backend-cpu';
import '@convkit/backend-wasm';
import './models.js';

/**
 * Counts layers away from the page: summary() runs a forward pass on zeros at the published input size,
 * which takes seconds for VGG on wasm and would otherwise block the page or queue behind the GPU work
 * of the run panel.
 */
export type SummaryRequest = { id: number; name: string };
export type SummaryReply = { id: number; summary: ModelSummary; uncounted: Uncounted[]; backend: string } | { id: number; error: string };

/** A module whose parameters are in the total but in no row: the forward pass in eval mode never calls it. */
export interface Uncounted { module: string; params: number }

/**
 * The parameters no row holds, grouped by the outermost module none of whose layers ran: GoogLeNet's aux1
 * and aux2 and fcn_resnet50's aux_classifier, the auxiliary heads that only training uses.
 */
function uncountedModules(model: Module<any, any>, s: ModelSummary): Uncounted[] {
  const rows = s.layers.map((l) => l.name);
  const ran = (path: string) => rows.some((row) => row === path || row.startsWith(`${path}.`));
  const groups = new Map<string, number>();
  for (const [name, variable] of model.namedParameters()) {
    const parts = name.split('.').slice(0, -1);
    if (rows.includes(parts.join('.'))) continue;
    let depth = 1;
    while (depth < parts.length && ran(parts.slice(0, depth).join('.'))) depth++;
    const key = parts.slice(0, depth).join('.') || name;
    groups.set(key, (groups.get(key) ?? 0) + variable.size);
  }
  return [...groups].map(([module, params]) => ({ module, params }));
}

const backend = useBackend('wasm').catch(() => useBackend('cpu'));
let latest = 0;

self.onmessage = async (event: MessageEvent<SummaryRequest>) => {
  const { id, name } = event.data;
  latest = id;
  // Let requests queued behind this one arrive: only the newest is worth a forward pass.
  await new Promise((resolve) => setTimeout(resolve, 0));
  if (id !== latest) return;
  const reply = (message: SummaryReply) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(message);
  try {
    const active = await backend;
    const entry = getModelEntry(name);
    const model = entry.create();
    try {
      const s = summary(model, [1, ...entry.inputShape]);
      reply({ id, summary: s, uncounted: uncountedModules(model, s), backend: active });
    } finally {
      model.dispose();
    }
  } catch (error) {
    reply({ id, error: (error as Error).message ?? String(error) });
  }
};
