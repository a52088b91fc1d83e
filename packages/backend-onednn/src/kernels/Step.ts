import { Step } from '@tensorflow/tfjs-core';
import type { StepAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { isFloat, nativeKernel } from './kernel.js';

/**
 * x > 0 ? 1 : alpha (NaN stays NaN), the ReLU gradient's mask, as one loop over the input in its own
 * layout: element-wise, so any layout will do; a layout with padding lanes only where they stay 0.
 */
export const stepConfig = nativeKernel(Step, ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: TensorInfo };
  const alpha = (attrs as unknown as StepAttrs).alpha ?? 0;
  if (!isFloat(x)) return null;
  const src = alpha === 0 ? backend.view(x) : { buffer: backend.floats(x), layout: backend.plainLayout(x.shape) };
  const values = src.buffer;
  const out = backend.bufferFor(src.layout);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    out[i] = v > 0 ? 1 : v !== v ? NaN : alpha;
  }
  return backend.output(x.shape.slice(), src.layout, out);
});
