/// <reference lib="webworker" />
import { type ModelSummary, getModelEntry, onMetaBackend, summary } from '@convkit/core';
import { type Uncounted, uncountedModules } from './uncounted.js';
import './models.js';

/**
 * Counts layers away from the page: summary() traces a model built on the meta backend (shapes, no
 * values), which takes milliseconds even for VGG, but the model packages' code stays off the page's thread.
 */
export type SummaryRequest = { id: number; name: string };
export type SummaryReply = { id: number; summary: ModelSummary; uncounted: Uncounted[] } | { id: number; error: string };

let latest = 0;

self.onmessage = async (event: MessageEvent<SummaryRequest>) => {
  const { id, name } = event.data;
  latest = id;
  // Let requests queued behind this one arrive: only the newest is worth counting.
  await new Promise((resolve) => setTimeout(resolve, 0));
  if (id !== latest) return;
  const reply = (message: SummaryReply) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(message);
  try {
    const entry = getModelEntry(name);
    // Built and traced on the meta backend: shapes without values, so no weight is drawn or held.
    const counted = await onMetaBackend(() => {
      const model = entry.create();
      try {
        const s = summary(model, [1, ...entry.inputShape]);
        return { summary: s, uncounted: uncountedModules(model, s) };
      } finally {
        model.dispose();
      }
    });
    reply({ id, ...counted });
  } catch (error) {
    reply({ id, error: (error as Error).message ?? String(error) });
  }
};
