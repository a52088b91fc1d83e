import * as tf from '@tensorflow/tfjs-core';

type Inputs = Record<string, tf.TensorInfo | tf.TensorInfo[]>;
type Attrs = Record<string, any>;
interface Out {
  shape: number[];
  dtype: tf.DataType;
}
/** Works out a kernel's output shapes and dtypes from its inputs' and its attributes. */
export type ShapeFunction = (inputs: Inputs, attrs: Attrs) => Out | Out[];

const { backend_util: bu, util } = tf;
type Shape4 = [number, number, number, number];

/** `x` where the kernel names it so (FusedBatchNorm, Prelu), else the first input. */
const first = (inputs: Inputs): tf.TensorInfo => {
  const value = inputs.x ?? Object.values(inputs)[0]!;
  return Array.isArray(value) ? value[0]! : value;
};
const input = (inputs: Inputs, name: string) => inputs[name] as tf.TensorInfo;
/** Concat, Pack and AddN take their tensors as an array-like object. */
const all = (inputs: Inputs): tf.TensorInfo[] => Object.values(inputs).flat();

const sameAsFirst: ShapeFunction = (inputs) => ({ shape: first(inputs).shape.slice(), dtype: first(inputs).dtype });
const boolLikeFirst: ShapeFunction = (inputs) => ({ shape: first(inputs).shape.slice(), dtype: 'bool' });

const broadcast = (dtype?: tf.DataType): ShapeFunction => (inputs) => {
  const [a, b] = all(inputs);
  return { shape: bu.assertAndGetBroadcastShape(a!.shape, b!.shape), dtype: dtype ?? tf.upcastType(a!.dtype, b!.dtype) };
};

const reduce = (dtype?: tf.DataType): ShapeFunction => (inputs, { axis, keepDims }) => {
  const x = first(inputs);
  const axes = util.parseAxisParam(axis ?? null, x.shape);
  const [outShape] = bu.computeOutAndReduceShapes(x.shape, axes);
  return { shape: keepDims ? bu.expandShapeToKeepDim(outShape, axes) : outShape, dtype: dtype ?? x.dtype };
};

const conv2d = (depthwise: boolean): ShapeFunction => (inputs, { strides, pad, dilations, dimRoundingMode, dataFormat }) => {
  const x = input(inputs, 'x');
  const filter = input(inputs, 'filter');
  const info = bu.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, strides, dilations ?? 1, pad, dimRoundingMode, depthwise, bu.convertConv2DDataFormat(dataFormat ?? 'NHWC'));
  return { shape: info.outShape, dtype: x.dtype };
};

const pool: ShapeFunction = (inputs, { filterSize, strides, pad, dimRoundingMode }) => {
  const x = first(inputs);
  return { shape: bu.computePool2DInfo(x.shape as Shape4, filterSize, strides, 1, pad, dimRoundingMode).outShape, dtype: x.dtype };
};

const matMul: ShapeFunction = (inputs, { transposeA, transposeB }) => {
  const a = input(inputs, 'a');
  const b = input(inputs, 'b');
  const rows = a.shape[a.shape.length - (transposeA ? 1 : 2)]!;
  const cols = b.shape[b.shape.length - (transposeB ? 2 : 1)]!;
  const batch = bu.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return { shape: [...batch, rows, cols], dtype: a.dtype };
};

const pad: ShapeFunction = (inputs, { paddings }) => {
  const x = first(inputs);
  return { shape: x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]), dtype: x.dtype };
};

const resize: ShapeFunction = (inputs, { size }) => {
  const [n, , , c] = first(inputs).shape;
  return { shape: [n!, size[0], size[1], c!], dtype: 'float32' };
};

const unary = [
  'Abs', 'Acos', 'Acosh', 'Asin', 'Asinh', 'Atan', 'Atanh', 'Ceil', 'ClipByValue', 'Cos', 'Cosh', 'Cumprod', 'Cumsum', 'Elu',
  'Erf', 'Exp', 'Expm1', 'Floor', 'Identity', 'LeakyRelu', 'Log', 'Log1p', 'LogSoftmax', 'LRN', 'Neg', 'OnesLike', 'Prelu',
  'Reciprocal', 'Relu', 'Relu6', 'Reverse', 'Round', 'Rsqrt', 'Selu', 'Sigmoid', 'Sign', 'Sin', 'Sinh', 'Softmax', 'Softplus',
  'Sqrt', 'Square', 'Step', 'Tan', 'Tanh', 'ZerosLike', 'FusedBatchNorm', 'FlipLeftRight',
];
const arithmetic = ['Add', 'Atan2', 'FloorDiv', 'Maximum', 'Minimum', 'Mod', 'Multiply', 'Pow', 'RealDiv', 'SquaredDifference', 'Sub'];
const comparison = ['Equal', 'Greater', 'GreaterEqual', 'Less', 'LessEqual', 'LogicalAnd', 'LogicalOr', 'LogicalXor', 'NotEqual'];

/**
 * The kernels the meta backend has, by tfjs kernel name: every one a convkit model runs in a forward
 * pass or while it is built, and their near relatives. Shapes come from tfjs's own helpers, so a shape
 * is what the real kernels would produce. Kernels whose output size depends on values (NonMaxSuppression,
 * Unique, Where) are missing on purpose: no shape can be given for them without values.
 */
export const META_KERNELS: Record<string, ShapeFunction> = {
  ...Object.fromEntries(unary.map((name) => [name, sameAsFirst])),
  ...Object.fromEntries(arithmetic.map((name) => [name, broadcast()])),
  ...Object.fromEntries(comparison.map((name) => [name, broadcast('bool')])),
  IsNan: boolLikeFirst,
  IsInf: boolLikeFirst,
  IsFinite: boolLikeFirst,
  LogicalNot: boolLikeFirst,
  AddN: sameAsFirst,
  Cast: (inputs, { dtype }) => ({ shape: first(inputs).shape.slice(), dtype }),
  Sum: reduce(),
  Mean: (inputs, attrs) => ({ ...(reduce()(inputs, attrs) as Out), dtype: 'float32' }),
  Max: reduce(),
  Min: reduce(),
  Prod: reduce(),
  All: reduce('bool'),
  Any: reduce('bool'),
  ArgMax: (inputs, { axis }) => reduce('int32')(inputs, { axis, keepDims: false }),
  ArgMin: (inputs, { axis }) => reduce('int32')(inputs, { axis, keepDims: false }),
  Conv2D: conv2d(false),
  FusedConv2D: conv2d(false),
  DepthwiseConv2dNative: conv2d(true),
  FusedDepthwiseConv2D: conv2d(true),
  Conv2DBackpropInput: (inputs, { inputShape }) => ({ shape: inputShape.slice(), dtype: input(inputs, 'dy').dtype }),
  MaxPool: pool,
  AvgPool: pool,
  BatchMatMul: matMul,
  _FusedMatMul: matMul,
  Reshape: (inputs, { shape }) => {
    const x = first(inputs);
    return { shape: util.inferFromImplicitShape(shape.slice(), util.sizeFromShape(x.shape)), dtype: x.dtype };
  },
  ExpandDims: (inputs, { dim }) => {
    const x = first(inputs);
    const axis = dim < 0 ? x.shape.length + 1 + dim : dim;
    const shape = x.shape.slice();
    shape.splice(axis, 0, 1);
    return { shape, dtype: x.dtype };
  },
  Transpose: (inputs, { perm }) => ({ shape: (perm as number[]).map((p) => first(inputs).shape[p]!), dtype: first(inputs).dtype }),
  PadV2: pad,
  MirrorPad: pad,
  Slice: (inputs, { begin, size }) => {
    const x = first(inputs);
    const [, sizes] = tf.slice_util.parseSliceParams(x, begin, size);
    return { shape: sizes!, dtype: x.dtype };
  },
  StridedSlice: (inputs, { begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask }) => {
    const x = first(inputs);
    const info = tf.slice_util.sliceInfo(x.shape, begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask);
    return { shape: info.finalShape, dtype: x.dtype };
  },
  Concat: (inputs, { axis }) => {
    const xs = all(inputs);
    const shapes = xs.map((t) => t.shape);
    const [resolved] = util.parseAxisParam(axis, shapes[0]!);
    bu.assertParamsConsistent(shapes, resolved!);
    return { shape: bu.computeOutShape(shapes, resolved!), dtype: xs[0]!.dtype };
  },
  SplitV: (inputs, { numOrSizeSplits, axis }) => {
    const x = first(inputs);
    const [resolved] = util.parseAxisParam(axis, x.shape);
    return bu.prepareSplitSize(x, numOrSizeSplits, resolved).map((size) => {
      const shape = x.shape.slice();
      shape[resolved!] = size;
      return { shape, dtype: x.dtype };
    });
  },
  Pack: (inputs, { axis }) => {
    const xs = all(inputs);
    const shape = xs[0]!.shape.slice();
    shape.splice(axis < 0 ? shape.length + 1 + axis : axis, 0, xs.length);
    return { shape, dtype: xs[0]!.dtype };
  },
  Unpack: (inputs, { axis }) => {
    const x = first(inputs);
    const [resolved] = util.parseAxisParam(axis, x.shape);
    const shape = x.shape.filter((_, i) => i !== resolved);
    return Array.from({ length: x.shape[resolved!]! }, () => ({ shape: shape.slice(), dtype: x.dtype }));
  },
  Tile: (inputs, { reps }) => ({ shape: first(inputs).shape.map((d, i) => d * reps[i]), dtype: first(inputs).dtype }),
  BroadcastTo: (inputs, { shape }) => ({ shape: shape.slice(), dtype: first(inputs).dtype }),
  ResizeBilinear: resize,
  ResizeNearestNeighbor: (inputs, attrs) => ({ ...(resize(inputs, attrs) as Out), dtype: first(inputs).dtype }),
  CropAndResize: (inputs, { cropSize }) => {
    const image = input(inputs, 'image');
    return { shape: [input(inputs, 'boxes').shape[0]!, cropSize[0], cropSize[1], image.shape[3]!], dtype: 'float32' };
  },
  GatherV2: (inputs, { axis }) => {
    const x = input(inputs, 'x');
    const [resolved] = util.parseAxisParam(axis, x.shape);
    return { shape: [...x.shape.slice(0, resolved), ...input(inputs, 'indices').shape, ...x.shape.slice(resolved! + 1)], dtype: x.dtype };
  },
  OneHot: (inputs, { depth, dtype }) => ({ shape: [...first(inputs).shape, depth], dtype }),
  Select: (inputs) => ({ shape: bu.assertAndGetBroadcastShape(input(inputs, 't').shape, input(inputs, 'condition').shape), dtype: input(inputs, 't').dtype }),
  TopK: (inputs, { k }) => {
    const shape = [...first(inputs).shape.slice(0, -1), k];
    return [{ shape, dtype: first(inputs).dtype }, { shape: shape.slice(), dtype: 'int32' }];
  },
  Fill: (_inputs, { shape, dtype }) => ({ shape: shape.slice(), dtype }),
  Range: (_inputs, { start, stop, step, dtype }) => ({ shape: [Math.max(Math.ceil((stop - start) / step), 0)], dtype }),
};
