import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OP_CODES, opCodeDrift } from './ops.js';

/** The lists of native/op_codes.h as opCodes() exports them: each X(cpp, ts) entry takes its position as code. */
function headerOpCodes(): Record<string, Record<string, number>> {
  const header = readFileSync(new URL('../../native/op_codes.h', import.meta.url), 'utf8').replace(/\\\n/g, ' ');
  const macros = new Map<string, string>();
  for (const m of header.matchAll(/^#define (CONVKIT_\w+)\(X\)(.*)$/gm)) macros.set(m[1]!, m[2]!);
  const lists = /^#define CONVKIT_OP_CODE_LISTS\(L\)(.*)$/m.exec(header)![1]!;
  const out: Record<string, Record<string, number>> = {};
  for (const [, name, macro] of lists.matchAll(/L\((\w+), (\w+)\)/g)) {
    const entries = [...macros.get(macro!)!.matchAll(/X\(\w+, (\w+)\)/g)].map((e) => e[1]!);
    out[name!] = Object.fromEntries(entries.map((ts, code) => [ts, code]));
  }
  return out;
}

describe('op codes', () => {
  it('native/op_codes.h lists the codes of src/native/ops.ts, in order', () => {
    const header = headerOpCodes();
    expect(Object.keys(header).sort()).toEqual(Object.keys(OP_CODES).sort());
    expect(opCodeDrift(header)).toEqual([]);
  });

  it('names every code that differs, on either side', () => {
    const native = structuredClone(OP_CODES) as Record<string, Record<string, number>>;
    native.binary = { ...native.binary, Add: 1, Sub: 0, DivNoNan: 20 };
    delete native.cast;
    expect(opCodeDrift(native)).toEqual([
      'binary.Add: addon 1, ops.ts 0', 'binary.Sub: addon 0, ops.ts 1', 'binary.DivNoNan: addon 20, ops.ts none',
      'cast.floatToInt: addon none, ops.ts 0', 'cast.intToFloat: addon none, ops.ts 1', 'cast.floatToBool: addon none, ops.ts 2',
      'cast.intToBool: addon none, ops.ts 3',
    ]);
  });
});
