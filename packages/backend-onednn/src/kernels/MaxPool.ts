import { MaxPool } from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { isFloat, nativeKernel } from './kernel.js';
import { type PoolAttrs, poolShape, poolingKind } from './pool-common.js';

export const maxPoolConfig = nativeKernel(MaxPool, ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: TensorInfo };
  if (!isFloat(x) || x.shape.length !== 4) return null;
  const { info, shape } = poolShape(x, attrs as unknown as PoolAttrs);
  const src = backend.view(x);
  const kind = poolingKind(true);
  const slots = backend.plan(`pool|${kind}|${shape}|${src.layout}`, () => backend.addon.planPoolForward(kind, shape, src.layout, -1));
  const dst = backend.bufferFor(slots[2]!);
  backend.execute(slots, [src.buffer, dst]);
  return backend.output(info.outShape.slice(), slots[2]!, dst);
});
