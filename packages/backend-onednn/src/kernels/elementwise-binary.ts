import { Add, Maximum, Minimum, Multiply, RealDiv, Sub, backend_util } from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { isFloat, nativeKernel } from './kernel.js';
import { BINARY } from '../native/addon.js';
import { sameShape } from '../backend.js';

/**
 * a (op) b as a oneDNN binary primitive in a's layout. b may broadcast (numpy rules); where a is the
 * one broadcast, commutative ops swap their operands and the others run on tfjs-backend-cpu.
 */
function binaryKernel(kernelName: string, op: number, commutative: boolean) {
  return nativeKernel(kernelName, ({ inputs, backend }) => {
    let { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    if (!isFloat(a, b) || a.dtype !== b.dtype) return null;
    const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    if (!sameShape(a.shape, outShape)) {
      if (!commutative || !sameShape(b.shape, outShape)) return null;
      [a, b] = [b, a];
    }
    if (outShape.length > 12) return null;
    const src0 = backend.view(a);
    let src1Buffer: Float32Array;
    let src1Layout: number;
    if (sameShape(b.shape, outShape)) {
      const view = backend.view(b);
      src1Buffer = view.buffer;
      src1Layout = view.layout;
      if (view.layout !== src0.layout) {
        const reorder = backend.plan(`reorder|${view.layout}|${src0.layout}`, () => backend.addon.planReorder(view.layout, src0.layout));
        src1Buffer = backend.bufferFor(src0.layout);
        backend.execute(reorder, [view.buffer, src1Buffer]);
        src1Layout = src0.layout;
      }
    } else {
      const expanded = [...new Array<number>(outShape.length - b.shape.length).fill(1), ...b.shape];
      src1Buffer = backend.floats(b);
      src1Layout = backend.plainLayout(expanded);
    }
    const slots = backend.tryPlan(`binary|${op}|${src0.layout}|${src1Layout}`, () => backend.addon.planBinary(op, src0.layout, src1Layout));
    if (!slots) return null;
    const dst = backend.bufferFor(src0.layout);
    backend.execute(slots, [src0.buffer, src1Buffer, dst]);
    return backend.output(outShape, src0.layout, dst);
  });
}

export const addConfig = binaryKernel(Add, BINARY.add, true);
export const subConfig = binaryKernel(Sub, BINARY.sub, false);
export const multiplyConfig = binaryKernel(Multiply, BINARY.mul, true);
export const realDivConfig = binaryKernel(RealDiv, BINARY.div, false);
export const maximumConfig = binaryKernel(Maximum, BINARY.max, true);
export const minimumConfig = binaryKernel(Minimum, BINARY.min, true);
