/**
 * Op codes shared with the addon: native/op_codes.h lists the same names in the same order. loadAddon()
 * compares these with the addon's opCodes() export and refuses an addon built from other codes.
 */

export const DTYPE = { float32: 0, int32: 1 } as const;

export const BINARY = {
  Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, Maximum: 4, Minimum: 5, Pow: 6, SquaredDifference: 7, FloorDiv: 8, Mod: 9,
  Atan2: 10, Prelu: 11, Equal: 12, NotEqual: 13, Less: 14, LessEqual: 15, Greater: 16, GreaterEqual: 17, LogicalAnd: 18,
  LogicalOr: 19,
} as const;

/** Binary kernels whose result is bool (held on the device as int32 0/1). */
export const BOOL_RESULT = new Set<string>(['Equal', 'NotEqual', 'Less', 'LessEqual', 'Greater', 'GreaterEqual', 'LogicalAnd', 'LogicalOr']);

/** Binary kernels the int32 path computes as tfjs-backend-cpu does; the others run in float32 only. */
export const INT_BINARY = new Set<string>(['Add', 'Sub', 'Multiply', 'Maximum', 'Minimum', 'SquaredDifference', 'FloorDiv', 'Mod', 'Prelu', ...BOOL_RESULT]);

export const UNARY = {
  Relu: 0, Relu6: 1, LeakyRelu: 2, Elu: 3, Selu: 4, Exp: 5, Expm1: 6, Log: 7, Log1p: 8, Sqrt: 9, Rsqrt: 10, Square: 11, Neg: 12,
  Abs: 13, Sigmoid: 14, Tanh: 15, Sin: 16, Cos: 17, Floor: 18, Ceil: 19, Round: 20, Sign: 21, Reciprocal: 22, Softplus: 23,
  Erf: 24, ClipByValue: 25, Step: 26, IsNan: 27, LogicalNot: 28, IsInf: 29, IsFinite: 30, Atan: 31, Acos: 32, Asin: 33,
  Sinh: 34, Cosh: 35, Tan: 36,
} as const;

/** Unary kernels with a bool result. */
export const BOOL_UNARY = new Set<string>(['IsNan', 'IsInf', 'IsFinite', 'LogicalNot']);

/** Unary kernels with an int32 path (the rest need float32 input). */
export const INT_UNARY = new Set<string>(['Relu', 'Square', 'Neg', 'Abs', 'Sign', 'ClipByValue', 'LogicalNot']);

export const REDUCE = { Sum: 0, Prod: 1, Max: 2, Min: 3, Mean: 4, ArgMax: 5, ArgMin: 6, Any: 7, All: 8 } as const;

export const ACTIVATION = { linear: 0, relu: 1, relu6: 2, prelu: 3, leakyrelu: 4, elu: 5, sigmoid: 6 } as const;

/** cast() modes. */
export const CAST = { floatToInt: 0, intToFloat: 1, floatToBool: 2, intToBool: 3 } as const;

/** conv2d() directions. */
export const CONV = { forward: 0, backwardData: 1, backwardFilter: 2 } as const;

/** Every list, by the name the addon's opCodes() gives it. */
export const OP_CODES: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  dtype: DTYPE, binary: BINARY, unary: UNARY, reduce: REDUCE, activation: ACTIVATION, cast: CAST, conv: CONV,
};

/** Where `native` (an addon's opCodes()) differs from OP_CODES: `binary.Add: addon 3, ops.ts 0`; empty when in step. */
export function opCodeDrift(native: Readonly<Record<string, Readonly<Record<string, number>>>>): string[] {
  const drift: string[] = [];
  for (const list of new Set([...Object.keys(OP_CODES), ...Object.keys(native)])) {
    const ours = OP_CODES[list] ?? {};
    const theirs = native[list] ?? {};
    for (const name of new Set([...Object.keys(ours), ...Object.keys(theirs)])) {
      if (ours[name] !== theirs[name]) drift.push(`${list}.${name}: addon ${theirs[name] ?? 'none'}, ops.ts ${ours[name] ?? 'none'}`);
    }
  }
  return drift;
}
