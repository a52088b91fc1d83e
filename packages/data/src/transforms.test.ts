import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const src = dirname(fileURLToPath(import.meta.url));

/** Every module specifier reachable from `file` through relative imports, and the files visited. */
function imports(file: string, seen = new Set<string>(), external = new Set<string>()) {
  if (seen.has(file)) return { seen, external };
  seen.add(file);
  for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/g)) {
    if (spec!.startsWith('.')) imports(resolve(dirname(file), spec!.replace(/\.js$/, '.ts')), seen, external);
    else external.add(spec!);
  }
  return { seen, external };
}

it('the @convkit/data/transforms entry reaches no Node built-in and no file decoder', () => {
  const { seen, external } = imports(join(src, 'transforms.ts'));
  expect(seen.size).toBeGreaterThan(10);
  expect([...external].sort()).toEqual(['seedrandom']);
});
