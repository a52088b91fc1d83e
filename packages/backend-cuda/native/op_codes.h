// The op codes the TypeScript half passes (src/native/ops.ts), one list per argument: each entry is
// (C++ enumerator, TypeScript name) and takes the code of its position, from 0. The enums below and
// the addon's opCodes() export come from these lists, and loadAddon() compares that export with
// ops.ts (src/native/ops.test.ts compares this file with it where no addon is built), so a code added
// on one side only fails with one line instead of running the wrong kernel.
#pragma once

#define CONVKIT_DTYPES(X) X(F32, float32) X(I32, int32)

#define CONVKIT_BINARY_OPS(X)                                                                                  \
  X(B_ADD, Add) X(B_SUB, Sub) X(B_MUL, Multiply) X(B_DIV, RealDiv) X(B_MAX, Maximum) X(B_MIN, Minimum)       \
  X(B_POW, Pow) X(B_SQDIFF, SquaredDifference) X(B_FLOORDIV, FloorDiv) X(B_MOD, Mod) X(B_ATAN2, Atan2)      \
  X(B_PRELU, Prelu) X(B_EQ, Equal) X(B_NE, NotEqual) X(B_LT, Less) X(B_LE, LessEqual) X(B_GT, Greater)     \
  X(B_GE, GreaterEqual) X(B_AND, LogicalAnd) X(B_OR, LogicalOr)

#define CONVKIT_UNARY_OPS(X)                                                                                   \
  X(U_RELU, Relu) X(U_RELU6, Relu6) X(U_LEAKYRELU, LeakyRelu) X(U_ELU, Elu) X(U_SELU, Selu) X(U_EXP, Exp)   \
  X(U_EXPM1, Expm1) X(U_LOG, Log) X(U_LOG1P, Log1p) X(U_SQRT, Sqrt) X(U_RSQRT, Rsqrt) X(U_SQUARE, Square)  \
  X(U_NEG, Neg) X(U_ABS, Abs) X(U_SIGMOID, Sigmoid) X(U_TANH, Tanh) X(U_SIN, Sin) X(U_COS, Cos)            \
  X(U_FLOOR, Floor) X(U_CEIL, Ceil) X(U_ROUND, Round) X(U_SIGN, Sign) X(U_RECIPROCAL, Reciprocal)          \
  X(U_SOFTPLUS, Softplus) X(U_ERF, Erf) X(U_CLIP, ClipByValue) X(U_STEP, Step) X(U_ISNAN, IsNan)           \
  X(U_NOT, LogicalNot) X(U_ISINF, IsInf) X(U_ISFINITE, IsFinite) X(U_ATAN, Atan) X(U_ACOS, Acos)           \
  X(U_ASIN, Asin) X(U_SINH, Sinh) X(U_COSH, Cosh) X(U_TAN, Tan)

#define CONVKIT_REDUCE_OPS(X)                                                                                  \
  X(R_SUM, Sum) X(R_PROD, Prod) X(R_MAX, Max) X(R_MIN, Min) X(R_MEAN, Mean) X(R_ARGMAX, ArgMax)             \
  X(R_ARGMIN, ArgMin) X(R_ANY, Any) X(R_ALL, All)

#define CONVKIT_ACTIVATIONS(X)                                                                                 \
  X(A_LINEAR, linear) X(A_RELU, relu) X(A_RELU6, relu6) X(A_PRELU, prelu) X(A_LEAKYRELU, leakyrelu)         \
  X(A_ELU, elu) X(A_SIGMOID, sigmoid)

// cast(): f32->i32 truncates (NaN and infinities give 0, as Int32Array.from), i32->f32, and either to bool.
#define CONVKIT_CASTS(X) X(C_F32_TO_I32, floatToInt) X(C_I32_TO_F32, intToFloat) X(C_F32_TO_BOOL, floatToBool) X(C_I32_TO_BOOL, intToBool)

// conv2d(direction, ...): the forward pass and the two gradients, one cuDNN call each.
#define CONVKIT_CONV_DIRECTIONS(X) X(CONV_FORWARD, forward) X(CONV_BACKWARD_DATA, backwardData) X(CONV_BACKWARD_FILTER, backwardFilter)

// The lists by the name opCodes() gives them, for the export and for other X-macros.
#define CONVKIT_OP_CODE_LISTS(L)                                                                               \
  L(dtype, CONVKIT_DTYPES) L(binary, CONVKIT_BINARY_OPS) L(unary, CONVKIT_UNARY_OPS) L(reduce, CONVKIT_REDUCE_OPS) \
  L(activation, CONVKIT_ACTIVATIONS) L(cast, CONVKIT_CASTS) L(conv, CONVKIT_CONV_DIRECTIONS)

#define CONVKIT_ENUMERATOR(cpp, ts) cpp,
namespace convkit {
enum DType { CONVKIT_DTYPES(CONVKIT_ENUMERATOR) };  // bool is held as int32 0/1
enum Binary { CONVKIT_BINARY_OPS(CONVKIT_ENUMERATOR) };
enum Unary { CONVKIT_UNARY_OPS(CONVKIT_ENUMERATOR) };
enum Reduce { CONVKIT_REDUCE_OPS(CONVKIT_ENUMERATOR) };
enum Activation { CONVKIT_ACTIVATIONS(CONVKIT_ENUMERATOR) };
enum Cast { CONVKIT_CASTS(CONVKIT_ENUMERATOR) };
enum ConvDirection { CONVKIT_CONV_DIRECTIONS(CONVKIT_ENUMERATOR) };
}  // namespace convkit
#undef CONVKIT_ENUMERATOR
