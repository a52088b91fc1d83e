import { MaxPoolGrad } from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { isFloat, nativeKernel } from './kernel.js';
import { type PoolAttrs, poolShape, poolingKind } from './pool-common.js';
import type { OnednnBackend } from '../backend.js';

/** The pooling gradient; for max pooling the forward runs again inside the plan for oneDNN's arg-max workspace. */
export function poolGrad(backend: OnednnBackend, max: boolean, dy: TensorInfo, input: TensorInfo, attrs: PoolAttrs): TensorInfo | null {
  if (!isFloat(dy, input) || input.shape.length !== 4) return null;
  const { shape } = poolShape(input, attrs);
  const src = backend.view(input);
  const diffDst = backend.view(dy);
  const kind = poolingKind(max);
  const slots = backend.plan(`poolBwd|${kind}|${shape}|${src.layout}|${diffDst.layout}`, () => backend.addon.planPoolBackward(kind, shape, src.layout, diffDst.layout, src.layout));
  const dx = backend.bufferFor(src.layout);
  backend.execute(slots, [src.buffer, diffDst.buffer, dx]);
  return backend.output(input.shape.slice(), src.layout, dx);
}

export const maxPoolGradConfig = nativeKernel(MaxPoolGrad, ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  return poolGrad(backend, true, dy, input, attrs as unknown as PoolAttrs);
});
