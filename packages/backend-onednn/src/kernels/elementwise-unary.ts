import { Elu, LeakyRelu, Relu, Relu6, Sigmoid, Square } from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { isFloat, nativeKernel } from './kernel.js';
import { ACTIVATION } from '../native/addon.js';

/** An activation as a oneDNN eltwise primitive in the input's own layout (blocked stays blocked). */
function eltwiseKernel(kernelName: string, activation: number) {
  return nativeKernel(kernelName, ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: TensorInfo };
    if (!isFloat(x)) return null;
    const alpha = kernelName === LeakyRelu ? Number(attrs.alpha ?? 0.2) : 0;
    const fused = alpha === 0 ? backend.runPendingWith(x, activation) : null;
    if (fused) return fused;
    const src = backend.view(x);
    const slots = backend.plan(`eltwise|${activation}|${alpha}|${src.layout}`, () => backend.addon.planEltwise(activation, alpha, src.layout));
    const dst = backend.bufferFor(src.layout);
    backend.execute(slots, [src.buffer, dst]);
    return backend.output(x.shape.slice(), src.layout, dst);
  });
}

export const reluConfig = eltwiseKernel(Relu, ACTIVATION.relu);
export const relu6Config = eltwiseKernel(Relu6, ACTIVATION.relu6);
export const eluConfig = eltwiseKernel(Elu, ACTIVATION.elu);
export const sigmoidConfig = eltwiseKernel(Sigmoid, ACTIVATION.sigmoid);
export const leakyReluConfig = eltwiseKernel(LeakyRelu, ACTIVATION.leakyrelu);
export const squareConfig = eltwiseKernel(Square, ACTIVATION.square);
