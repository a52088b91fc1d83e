import type { Module } from './module.js';
import type { StateDict } from './io/host-tensor.js';
import { torchShape } from './layout.js';

/** FNV-1a over the UTF-16 code units of a name (ASCII names: the bytes). */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Chris Wellons' lowbias32 integer hash. */
function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * Weights that a Python script can reproduce bit for bit (tools/fixtures/deterministic.py), so tests can
 * compare against torchvision without shipping full-size weight files. Value i of tensor `name` is
 * u = mix32((hash(name) ^ seed) + i) / 2^32, mapped by the tensor's role:
 * - weights of rank > 1: uniform in +-sqrt(6 / fan_in) (He-uniform keeps activations bounded in deep nets);
 * - `weight` and `running_var` of rank 1 (norm layers): 0.5 + u;
 * - everything else (biases, running means): (u - 0.5) * 0.2;
 * - `num_batches_tracked`: 0.
 * Tensors are in PyTorch names, order and layouts.
 */
export function deterministicStateDict(model: Module<any, any>, seed = 0): StateDict {
  const dict: StateDict = new Map();
  const entries = [...model.namedParameters().map(([n, v]) => [n, v, 'parameter'] as const), ...model.namedBuffers().map(([n, v]) => [n, v, 'buffer'] as const)];
  const layouts = new Map(model.namedParameterLayouts());
  for (const [name, variable] of entries) {
    const shape = torchShape(variable.shape, layouts.get(name) ?? 'plain');
    if (name.endsWith('num_batches_tracked')) {
      dict.set(name, { dtype: 'int64', shape, data: new BigInt64Array(Math.max(1, variable.size)) });
      continue;
    }
    const data = new Float32Array(variable.size);
    const key = (hashName(name) ^ seed) >>> 0;
    const leaf = name.slice(name.lastIndexOf('.') + 1);
    const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
    const bound = Math.sqrt(6 / fanIn);
    for (let i = 0; i < data.length; i++) {
      const u = mix32((key + i) >>> 0) / 4294967296;
      if (shape.length > 1) data[i] = (u - 0.5) * 2 * bound;
      else if (leaf === 'weight' || leaf === 'running_var') data[i] = 0.5 + u;
      else data[i] = (u - 0.5) * 0.2;
    }
    dict.set(name, { dtype: 'float32', shape, data });
  }
  return dict;
}
