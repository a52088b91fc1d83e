import { Add, Maximum, Minimum, Multiply, RealDiv, Sub, backend_util, util } from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { type KernelArgs, isFloat, nativeKernel } from './kernel.js';
import { ACTIVATION, BINARY } from '../native/addon.js';
import { type NativeView, type OnednnBackend, sameShape } from '../backend.js';

type Op = (typeof BINARY)[keyof typeof BINARY];

/** x + s, x - s, s - x and x * s as one affine pass (alpha x + beta), exact in float32 as the binary op. */
function affineOf(op: Op, scalar: number, swapped: boolean): [number, number] | null {
  if (op === BINARY.add) return [1, scalar];
  if (op === BINARY.mul) return [scalar, 0];
  if (op === BINARY.sub) return swapped ? [-1, scalar] : [1, -scalar];
  return null;
}

/**
 * b as the binary primitive's second operand beside a's layout: a per-channel vector goes into a's
 * channel-blocked layout (oneDNN's vectorised binary broadcasts only a vector laid out like src0; a
 * row-major one sends it to its element-wise reference code), anything else stays row-major.
 */
function secondOperand(backend: OnednnBackend, a: TensorInfo, src0: NativeView, b: TensorInfo, outShape: number[]): NativeView & { temporary: boolean } {
  if (sameShape(b.shape, outShape)) return backend.viewIn(b, src0.layout);
  const expanded = [...new Array<number>(outShape.length - b.shape.length).fill(1), ...b.shape];
  const plain = { buffer: backend.floats(b), layout: backend.plainLayout(expanded), temporary: false };
  const channels = outShape[3];
  const perChannel = outShape.length === 4 && expanded.slice(0, 3).every((d) => d === 1) && expanded[3] === channels;
  if (perChannel && src0.layout === backend.imageLayout(a.shape)) {
    const vector = backend.imageLayout(expanded);
    if (vector >= 0) {
      const buffer = backend.bufferFor(vector);
      backend.execute(backend.plan(`reorder|${plain.layout}|${vector}`, () => backend.addon.planReorder(plain.layout, vector)), [plain.buffer, buffer]);
      return { buffer, layout: vector, temporary: true };
    }
  }
  return plain;
}

/**
 * a (op) b as one oneDNN primitive in a's layout; b may broadcast (numpy rules). Where a is the one
 * broadcast, commutative ops swap their operands and subtraction swaps and negates; a scalar operand
 * makes an affine pass. Division and the rest of the broadcasting of a run on tfjs-backend-cpu.
 */
function binary(op: Op, commutative: boolean, { inputs, backend }: KernelArgs): TensorInfo | null {
  let { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  if (!isFloat(a, b) || a.dtype !== b.dtype) return null;
  const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  let swapped = false;
  if (!sameShape(a.shape, outShape)) {
    if (!sameShape(b.shape, outShape) || !(commutative || op === BINARY.sub)) return null;
    [a, b] = [b, a];
    swapped = true;
  }
  if (outShape.length > 12) return null;
  const src0 = backend.view(a);
  if (util.sizeFromShape(b.shape) === 1 && !sameShape(b.shape, outShape)) {
    const affine = affineOf(op, backend.floats(b)[0]!, swapped);
    if (affine) {
      const [alpha, beta] = affine;
      const slots = backend.plan(`affine|${alpha}|${beta}|${src0.layout}`, () => backend.addon.planAffine(alpha, beta, src0.layout));
      const dst = backend.bufferFor(src0.layout);
      backend.execute(slots, [src0.buffer, dst]);
      return backend.output(outShape, src0.layout, dst);
    }
  }
  const src1 = secondOperand(backend, a, src0, b, outShape);
  const negate = swapped && op === BINARY.sub;
  const plan = (activation: number) => backend.tryPlan(`binary|${op}|${src0.layout}|${src1.layout}|${activation}`, () => backend.addon.planBinary(op, src0.layout, src1.layout, activation));
  const slots = plan(negate ? ACTIVATION.negate : ACTIVATION.none);
  if (!slots) {
    backend.release(src1);
    return null;
  }
  const run = (activation: number) => {
    const dst = backend.bufferFor(src0.layout);
    backend.execute(plan(activation)!, [src0.buffer, src1.buffer, dst]);
    return dst;
  };
  if (negate || src1.temporary || op !== BINARY.add) {
    const dst = run(negate ? ACTIVATION.negate : ACTIVATION.none);
    backend.release(src1);
    return backend.output(outShape, src0.layout, dst);
  }
  // A residual add, deferred so that the ReLU after it (ResNet's blocks) is a post-op of the same primitive.
  const fusable = plan(ACTIVATION.relu) ? [ACTIVATION.relu] : [];
  return backend.defer({ layout: src0.layout, shape: outShape, fusable, inputs: [a.dataId, b.dataId], run });
}

function binaryKernel(kernelName: string, op: Op, commutative: boolean) {
  return nativeKernel(kernelName, (args) => binary(op, commutative, args));
}

export const addConfig = binaryKernel(Add, BINARY.add, true);
export const subConfig = binaryKernel(Sub, BINARY.sub, false);
export const multiplyConfig = binaryKernel(Multiply, BINARY.mul, true);
export const realDivConfig = binaryKernel(RealDiv, BINARY.div, false);
export const maximumConfig = binaryKernel(Maximum, BINARY.max, true);
export const minimumConfig = binaryKernel(Minimum, BINARY.min, true);
