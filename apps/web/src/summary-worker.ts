/// <reference lib="webworker" />
import { type ModelSummary, getModelEntry, summary, useBackend } from '@convkit/core';
import { type Uncounted, uncountedModules } from './uncounted.js';
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
