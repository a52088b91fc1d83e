// Elementwise kernels: binary ops with broadcasting strides, unary ops, fill, cast, and the bias and
// activation epilogue of convolutions and matmuls.
#include "convkit_cuda.h"

namespace convkit {
namespace {

template <typename T> __device__ __forceinline__ T binaryOp(int op, T a, T b);
template <> __device__ __forceinline__ float binaryOp<float>(int op, float a, float b) {
  switch (op) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV: return a / b;
    case B_MAX: return (isnan(a) || isnan(b)) ? NAN : fmaxf(a, b);
    case B_MIN: return (isnan(a) || isnan(b)) ? NAN : fminf(a, b);
    case B_POW: return powf(a, b);
    case B_SQDIFF: { float d = a - b; return d * d; }
    case B_FLOORDIV: return floorf(a / b);
    case B_MOD: { float r = fmodf(a, b); return ((a < 0 && b < 0) || (a >= 0 && b >= 0)) ? r : fmodf(r + b, b); }
    case B_ATAN2: return atan2f(a, b);
    case B_PRELU: return a < 0 ? a * b : a;
    case B_EQ: return a == b;
    case B_NE: return a != b;
    case B_LT: return a < b;
    case B_LE: return a <= b;
    case B_GT: return a > b;
    case B_GE: return a >= b;
    case B_AND: return (a != 0) && (b != 0);
    case B_OR: return (a != 0) || (b != 0);
  }
  return NAN;
}
template <> __device__ __forceinline__ int binaryOp<int>(int op, int a, int b) {
  switch (op) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV: return b == 0 ? 0 : (int)floorf((float)a / (float)b);
    case B_MAX: return max(a, b);
    case B_MIN: return min(a, b);
    case B_POW: return (int)powf((float)a, (float)b);
    case B_SQDIFF: return (a - b) * (a - b);
    case B_FLOORDIV: return b == 0 ? 0 : (int)floorf((float)a / (float)b);
    case B_MOD: { if (b == 0) return 0; int r = a % b; return ((a < 0 && b < 0) || (a >= 0 && b >= 0)) ? r : (r + b) % b; }
    case B_PRELU: return a < 0 ? a * b : a;
    case B_EQ: return a == b;
    case B_NE: return a != b;
    case B_LT: return a < b;
    case B_LE: return a <= b;
    case B_GT: return a > b;
    case B_GE: return a >= b;
    case B_AND: return (a != 0) && (b != 0);
    case B_OR: return (a != 0) || (b != 0);
  }
  return 0;
}

template <typename T, typename O>
__global__ void binaryKernel(int op, const T *a, const T *b, O *y, int64_t n, Dims dims, Strides sa, Strides sb, bool flat) {
  GRID_LOOP(i, n) {
    int64_t ia = flat ? i : stridedOffset(i, dims, sa);
    int64_t ib = flat ? i : stridedOffset(i, dims, sb);
    y[i] = (O)binaryOp<T>(op, a[ia], b[ib]);
  }
}

__device__ __forceinline__ float unaryF(int op, float x, float p0, float p1) {
  switch (op) {
    case U_RELU: return x < 0 ? 0.f : x;
    case U_RELU6: return x < 0 ? 0.f : (x > 6 ? 6.f : x);
    case U_LEAKYRELU: return x < 0 ? p0 * x : x;
    case U_ELU: return x >= 0 ? x : expm1f(x);
    case U_SELU: return x >= 0 ? 1.0507009873554804934193349852946f * x : 1.7580993408473768599402175208123f * expm1f(x);
    case U_EXP: return expf(x);
    case U_EXPM1: return expm1f(x);
    case U_LOG: return logf(x);
    case U_LOG1P: return log1pf(x);
    case U_SQRT: return sqrtf(x);
    case U_RSQRT: return 1.f / sqrtf(x);
    case U_SQUARE: return x * x;
    case U_NEG: return -x;
    case U_ABS: return fabsf(x);
    case U_SIGMOID: return 1.f / (1.f + expf(-x));
    case U_TANH: return tanhf(x);
    case U_SIN: return sinf(x);
    case U_COS: return cosf(x);
    case U_FLOOR: return floorf(x);
    case U_CEIL: return ceilf(x);
    case U_ROUND: return rintf(x);  // half to even, as tfjs' round
    case U_SIGN: return isnan(x) ? 0.f : (x > 0 ? 1.f : (x < 0 ? -1.f : 0.f));
    case U_RECIPROCAL: return 1.f / x;
    case U_SOFTPLUS: return x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x));
    case U_ERF: return erff(x);
    case U_CLIP: return isnan(x) ? x : fminf(fmaxf(x, p0), p1);
    case U_STEP: return isnan(x) ? NAN : (x > 0 ? 1.f : p0);
    case U_ISNAN: return isnan(x) ? 1.f : 0.f;
    case U_NOT: return x == 0 ? 1.f : 0.f;
    case U_ISINF: return isinf(x) ? 1.f : 0.f;
    case U_ISFINITE: return isfinite(x) ? 1.f : 0.f;
    case U_ATAN: return atanf(x);
    case U_ACOS: return acosf(x);
    case U_ASIN: return asinf(x);
    case U_SINH: return sinhf(x);
    case U_COSH: return coshf(x);
    case U_TAN: return tanf(x);
  }
  return NAN;
}

__device__ __forceinline__ int unaryI(int op, int x, float p0, float p1) {
  switch (op) {
    case U_RELU: return x < 0 ? 0 : x;
    case U_SQUARE: return x * x;
    case U_NEG: return -x;
    case U_ABS: return x < 0 ? -x : x;
    case U_SIGN: return x > 0 ? 1 : (x < 0 ? -1 : 0);
    case U_NOT: return x == 0 ? 1 : 0;
    case U_CLIP: return (int)fminf(fmaxf((float)x, p0), p1);
  }
  return 0;
}

__global__ void unaryFloat(int op, const float *x, float *y, int64_t n, float p0, float p1) {
  GRID_LOOP(i, n) y[i] = unaryF(op, x[i], p0, p1);
}
__global__ void unaryFloatToInt(int op, const float *x, int *y, int64_t n) {
  GRID_LOOP(i, n) y[i] = (int)unaryF(op, x[i], 0, 0);
}
__global__ void unaryInt(int op, const int *x, int *y, int64_t n, float p0, float p1) {
  GRID_LOOP(i, n) y[i] = unaryI(op, x[i], p0, p1);
}

__global__ void fillWords(uint32_t *y, int64_t n, uint32_t word) {
  GRID_LOOP(i, n) y[i] = word;
}

// Casts (op_codes.h CONVKIT_CASTS): f32->i32 truncates, NaN -> 0 as Int32Array.from.
__global__ void castKernel(int mode, const void *x, void *y, int64_t n) {
  GRID_LOOP(i, n) {
    if (mode == C_F32_TO_I32) { float v = ((const float *)x)[i]; ((int *)y)[i] = isnan(v) || isinf(v) ? 0 : (int)truncf(v); }
    else if (mode == C_I32_TO_F32) ((float *)y)[i] = (float)((const int *)x)[i];
    else if (mode == C_F32_TO_BOOL) ((int *)y)[i] = ((const float *)x)[i] != 0.f;
    else ((int *)y)[i] = ((const int *)x)[i] != 0;
  }
}

// Bias and activation after a convolution or matmul.
__global__ void biasActivation(const float *x, const float *bias, int64_t nb, int act, const float *alpha, int64_t na, float leaky, float *y,
                               int64_t n) {
  GRID_LOOP(i, n) {
    float v = x[i] + (bias ? bias[i % nb] : 0.f);
    switch (act) {
      case A_RELU: v = v < 0 ? 0.f : v; break;
      case A_RELU6: v = v < 0 ? 0.f : (v > 6 ? 6.f : v); break;
      case A_PRELU: v = v < 0 ? v * alpha[i % na] : v; break;
      case A_LEAKYRELU: v = v < 0 ? v * leaky : v; break;
      case A_ELU: v = v >= 0 ? v : expm1f(v); break;
      case A_SIGMOID: v = 1.f / (1.f + expf(-v)); break;
    }
    y[i] = v;
  }
}

// fill(y, n, dtype, value)
EXPORT(fill) {
  requireReady();
  int64_t n = c.i64(1);
  double v = c.num(3);
  uint32_t word;
  if (c.i32(2) == F32) { float f = (float)v; std::memcpy(&word, &f, 4); }
  else { int i = (int)v; std::memcpy(&word, &i, 4); }
  if (n > 0) fillWords<<<blocks(n), 256, 0, S.stream>>>(c.ptr<uint32_t>(0), n, word);
  checkLaunch("fill");
  return undefined(c.env);
}

// unary(op, dtype, x, y, n, p0, p1, outInt)
EXPORT(unary) {
  requireReady();
  int op = c.i32(0), dtype = c.i32(1);
  int64_t n = c.i64(4);
  float p0 = (float)c.num(5), p1 = (float)c.num(6);
  bool outInt = c.flag(7);
  if (n > 0) {
    if (dtype == F32 && outInt) unaryFloatToInt<<<blocks(n), 256, 0, S.stream>>>(op, c.ptr<float>(2), c.ptr<int>(3), n);
    else if (dtype == F32) unaryFloat<<<blocks(n), 256, 0, S.stream>>>(op, c.ptr<float>(2), c.ptr<float>(3), n, p0, p1);
    else unaryInt<<<blocks(n), 256, 0, S.stream>>>(op, c.ptr<int>(2), c.ptr<int>(3), n, p0, p1);
  }
  checkLaunch("unary");
  return undefined(c.env);
}

// binary(op, dtype, a, b, y, outShape, aStrides, bStrides, outInt)
EXPORT(binary) {
  requireReady();
  int op = c.i32(0), dtype = c.i32(1);
  auto shape = c.ints(5), sa = c.ints(6), sb = c.ints(7);
  bool outInt = c.flag(8);
  int64_t n = product(shape);
  // Both operands laid out as the output: no index arithmetic needed.
  std::vector<int64_t> dense(shape.size());
  int64_t acc = 1;
  for (int k = (int)shape.size() - 1; k >= 0; --k) { dense[k] = shape[k] == 1 ? 0 : acc; acc *= shape[k]; }
  auto same = [&](const std::vector<int64_t> &s) {
    for (size_t k = 0; k < s.size(); ++k) if (shape[k] != 1 && s[k] != dense[k]) return false;
    return true;
  };
  bool flat = same(sa) && same(sb);
  Dims dims = toDims(shape);
  Strides A = toStrides(sa), B = toStrides(sb);
  if (n > 0) {
    if (dtype == F32 && outInt) binaryKernel<float, int><<<blocks(n), 256, 0, S.stream>>>(op, c.ptr<float>(2), c.ptr<float>(3), c.ptr<int>(4), n, dims, A, B, flat);
    else if (dtype == F32) binaryKernel<float, float><<<blocks(n), 256, 0, S.stream>>>(op, c.ptr<float>(2), c.ptr<float>(3), c.ptr<float>(4), n, dims, A, B, flat);
    else binaryKernel<int, int><<<blocks(n), 256, 0, S.stream>>>(op, c.ptr<int>(2), c.ptr<int>(3), c.ptr<int>(4), n, dims, A, B, flat);
  }
  checkLaunch("binary");
  return undefined(c.env);
}

// cast(mode, x, y, n)
EXPORT(cast) {
  requireReady();
  int64_t n = c.i64(3);
  if (n > 0) castKernel<<<blocks(n), 256, 0, S.stream>>>(c.i32(0), c.ptr<void>(1), c.ptr<void>(2), n);
  checkLaunch("cast");
  return undefined(c.env);
}

// biasActivation(x, bias|0, nb, act, alpha|0, na, leaky, y, n)
EXPORT(biasActivation) {
  requireReady();
  int64_t n = c.i64(8);
  if (n > 0)
    biasActivation<<<blocks(n), 256, 0, S.stream>>>(c.ptr(0), c.ptr(1), c.i64(2), c.i32(3), c.ptr(4), c.i64(5), (float)c.num(6), c.ptr(7), n);
  checkLaunch("biasActivation");
  return undefined(c.env);
}

}  // namespace
}  // namespace convkit
