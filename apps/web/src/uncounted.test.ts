import { createModel, summary, useBackend } from '@convkit/core';
import '@convkit/backend-cpu';
import '@convkit/classifiers';
import '@convkit/segmentation';
import { beforeAll, describe, expect, it } from 'vitest';
import { uncountedModules } from './uncounted.js';

/**
 * The explorer's note on a Total that is not the sum of its rows. The head sizes are torchvision 0.14's,
 * counted with Debian's python3-torchvision: googlenet(aux_logits=True) 13,004,888 in all, aux1 3,188,968,
 * aux2 3,191,016; fcn_resnet50(aux_loss=True) 35,322,218, aux_classifier 2,365,205. A small input keeps
 * the forward passes on cpu quick.
 */
describe('parameters in no row of the summary', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it.each([
    ['googlenet', [1, 64, 64, 3], { aux1: 3_188_968, aux2: 3_191_016 }],
    ['fcn_resnet50', [1, 64, 64, 3], { aux_classifier: 2_365_205 }],
  ] as const)('%s: the rows and the uncalled heads add up to the total', (name, shape, heads) => {
    const model = createModel(name);
    try {
      const s = summary(model, [...shape]);
      const uncounted = uncountedModules(model, s);
      expect(Object.fromEntries(uncounted.map((u) => [u.module, u.params]))).toEqual(heads);
      const rows = s.layers.reduce((n, l) => n + l.params, 0);
      expect(rows + uncounted.reduce((n, u) => n + u.params, 0)).toBe(s.totalParams);
    } finally {
      model.dispose();
    }
  });

  it('finds nothing where every parameter has a row', () => {
    const model = createModel('resnet18');
    try {
      const s = summary(model, [1, 32, 32, 3]);
      expect(uncountedModules(model, s)).toEqual([]);
      expect(s.layers.reduce((n, l) => n + l.params, 0)).toBe(s.totalParams);
    } finally {
      model.dispose();
    }
  });
});
