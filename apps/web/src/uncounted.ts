import type { ModelSummary, Module } from '@convkit/core';

/** A module whose parameters are in the total but in no row of the summary: the forward pass in eval mode never calls it. */
export interface Uncounted { module: string; params: number }

/**
 * The parameters no row of `s` holds, grouped by the outermost module none of whose layers ran: GoogLeNet's
 * aux1 and aux2 and fcn_resnet50's aux_classifier, the auxiliary heads only training uses. Together with
 * the rows they add up to `s.totalParams`.
 */
export function uncountedModules(model: Module<any, any>, s: ModelSummary): Uncounted[] {
  const rows = new Set(s.layers.map((l) => l.name));
  const ran = (path: string) => rows.has(path) || s.layers.some((l) => l.name.startsWith(`${path}.`));
  const groups = new Map<string, number>();
  for (const [name, variable] of model.namedParameters()) {
    const owner = name.split('.').slice(0, -1);
    if (rows.has(owner.join('.'))) continue;
    let depth = 1;
    while (depth < owner.length && ran(owner.slice(0, depth).join('.'))) depth++;
    const key = owner.slice(0, depth).join('.') || name;
    groups.set(key, (groups.get(key) ?? 0) + variable.size);
  }
  return [...groups].map(([module, params]) => ({ module, params }));
}
