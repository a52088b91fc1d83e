import { type ModelEntry, type ModelSummary, getModelEntry } from '@convkit/core';
import { byId, compact, element, grouped } from './format.js';
import type { SummaryReply } from './summary-worker.js';
import type { Uncounted } from './uncounted.js';

/**
 * The architecture table of one model at its published input size: every layer that holds parameters or
 * is a leaf, with output shape, parameters and multiply-accumulates (core's summary(), computed in a
 * worker), and the totals next to the published figures.
 */
export class Explorer {
  #request = 0;
  readonly #worker = new Worker(new URL('./summary-worker.ts', import.meta.url), { type: 'module' });
  readonly #select = byId<HTMLSelectElement>('explore-model');
  readonly #description = byId<HTMLParagraphElement>('explore-description');
  readonly #table = byId<HTMLTableElement>('summary');
  readonly #totals = byId<HTMLParagraphElement>('explore-totals');
  readonly #uncounted = byId<HTMLParagraphElement>('explore-uncounted');

  constructor(entries: ModelEntry[], onError: (error: unknown) => void) {
    for (const e of entries) this.#select.append(new Option(`${e.name} (${e.task})`, e.name));
    this.#select.addEventListener('change', () => this.show(this.#select.value));
    this.#worker.addEventListener('message', (event: MessageEvent<SummaryReply>) => {
      const reply = event.data;
      if (reply.id !== this.#request) return;
      if ('error' in reply) {
        this.#description.textContent = `${getModelEntry(this.#select.value).description}.`;
        onError(new Error(`cannot count the layers of ${this.#select.value}: ${reply.error}`));
      } else {
        this.#render(getModelEntry(this.#select.value), reply.summary, reply.uncounted);
      }
    });
  }

  show(name: string): void {
    const entry = getModelEntry(name);
    this.#select.value = name;
    this.#description.textContent = `${entry.description}. Counting layers at input [1, ${entry.inputShape.join(', ')}]…`;
    this.#totals.textContent = '';
    this.#uncounted.hidden = true;
    this.#table.tBodies[0]!.replaceChildren();
    this.#table.tFoot!.replaceChildren();
    this.#worker.postMessage({ id: ++this.#request, name });
  }

  #render(entry: ModelEntry, s: ModelSummary, uncounted: Uncounted[]): void {
    this.#description.textContent = `${entry.description}. Input [${s.inputShape.join(', ')}] (N, H, W, C), ${entry.numClasses} classes; ` +
      'counted by a forward pass on the meta backend (shapes without values, in a background worker).';
    const body = this.#table.tBodies[0]!;
    for (const layer of s.layers) {
      const row = body.insertRow();
      // Long dotted paths (inception3a.branch2.0.conv) may wrap after a dot, not inside a word.
      const name = element('td');
      name.append(...layer.name.split('.').flatMap((part, i) => (i ? [element('wbr'), `.${part}`] : [part])));
      row.append(
        name, element('td', layer.type), element('td', `[${layer.outputShape.join(', ')}]`),
        element('td', grouped(layer.params), 'num'), element('td', grouped(layer.macs), 'num'),
      );
    }
    const published = entry.reference;
    this.#totals.textContent = `${grouped(s.totalParams)} parameters` +
      (published?.params === undefined ? '' : ` (published: ${grouped(published.params)})`) +
      `, ${compact(s.macs)} multiply-accumulates` + (published?.gmacs === undefined ? '' : ` (published: ${published.gmacs.toFixed(2)} G)`);
    // The Total counts every parameter of the model; the rows only the layers the forward pass called.
    const rowSum = s.layers.reduce((n, l) => n + l.params, 0);
    if (rowSum !== s.totalParams) {
      const heads = uncounted.map((u) => `${u.module} (${grouped(u.params)})`).join(', ');
      this.#uncounted.textContent = `The rows add up to ${grouped(rowSum)} parameters, the Total to ${grouped(s.totalParams)}: ` +
        `${grouped(s.totalParams - rowSum)} are held by ${heads}, which the forward pass in eval mode never calls ` +
        '(auxiliary heads, used in training only), so they have no row.';
      this.#uncounted.hidden = false;
    }
    const total = this.#table.tFoot!.insertRow();
    const totalCell = element('td', `Total: ${s.layers.length} layers`);
    totalCell.colSpan = 3;
    total.append(totalCell, element('td', grouped(s.totalParams), 'num'), element('td', compact(s.macs), 'num'));
    const reference = this.#table.tFoot!.insertRow();
    reference.id = 'published';
    const referenceCell = element('td', published ? `Published (${published.source})` : 'Published: no figure registered');
    referenceCell.colSpan = 3;
    referenceCell.className = 'wrap';
    reference.append(
      referenceCell,
      element('td', published?.params === undefined ? '–' : grouped(published.params), 'num'),
      element('td', published?.gmacs === undefined ? '–' : `${published.gmacs.toFixed(2)} G`, 'num'),
    );
  }
}
