// The native half of @convkit/backend-cuda: a N-API addon owning the CUDA stream, a caching device
// allocator, cuDNN/cuBLAS handles (libraries opened with dlopen, see dnn_api.h) and the CUDA kernels.
// Every call is enqueued on one stream, so a freed block can be handed out again at once (stream
// order protects it) and only host reads synchronise. Op codes are shared with src/native/ops.ts.
#define NAPI_VERSION 8
#include <node_api.h>
#include <cuda_runtime.h>
#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "dnn_api.h"

namespace {

// ---------------------------------------------------------------------------------------------
// Errors: C++ exceptions inside, JS Errors at the boundary (see EXPORT).

struct CudaError : std::runtime_error {
  std::string code;
  CudaError(const std::string &c, const std::string &m) : std::runtime_error(m), code(c) {}
};

void checkCuda(cudaError_t e, const char *what) {
  if (e == cudaSuccess) return;
  std::string code = e == cudaErrorMemoryAllocation ? "CUDA_OOM" : std::string("CUDA_") + cudaGetErrorName(e);
  throw CudaError(code, std::string(what) + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")");
}

// ---------------------------------------------------------------------------------------------
// Runtime state.

struct State {
  bool ready = false;
  bool tf32 = false;
  cudaStream_t stream = nullptr;
  void *cudnnLib = nullptr;
  void *cublasLib = nullptr;
  std::string cublasName;
  DnnApi api{};
  cudnnHandle_t dnn = nullptr;
  cublasHandle_t blas = nullptr;
  void *workspace = nullptr;
  size_t workspaceBytes = 0;
};
State S;

void checkDnn(cudnnStatus_t s, const char *what) {
  if (s == CUDNN_STATUS_SUCCESS) return;
  const char *msg = S.api.cudnnGetErrorString ? S.api.cudnnGetErrorString(s) : "unknown";
  throw CudaError("CUDNN_" + std::to_string(s), std::string(what) + ": cuDNN status " + std::to_string(s) + " (" + msg + ")");
}

void checkBlas(cublasStatus_t s, const char *what) {
  if (s == CUBLAS_STATUS_SUCCESS) return;
  throw CudaError("CUBLAS_" + std::to_string(s), std::string(what) + ": cuBLAS status " + std::to_string(s));
}

void checkLaunch(const char *what) { checkCuda(cudaGetLastError(), what); }

// ---------------------------------------------------------------------------------------------
// Caching allocator: blocks are rounded to size classes and kept on per-size free lists when freed,
// as PyTorch's allocator does, because cudaMalloc/cudaFree synchronise the device and cost
// hundreds of microseconds. On cudaMalloc failure the cache is released and the allocation retried.

struct Pool {
  std::unordered_map<void *, size_t> live;      // pointer -> block size
  std::map<size_t, std::vector<void *>> free;   // block size -> cached blocks
  size_t liveBytes = 0, cachedBytes = 0, peakBytes = 0;
  uint64_t mallocs = 0;

  static size_t roundSize(size_t bytes) {
    if (bytes == 0) bytes = 1;
    if (bytes <= (1u << 20)) return (bytes + 511) & ~size_t(511);
    return (bytes + (2u << 20) - 1) & ~size_t((2u << 20) - 1);
  }

  void releaseCache() {
    for (auto &entry : free)
      for (void *p : entry.second) cudaFree(p);
    free.clear();
    cachedBytes = 0;
  }

  void *alloc(size_t bytes) {
    size_t size = roundSize(bytes);
    auto it = free.find(size);
    if (it != free.end() && !it->second.empty()) {
      void *p = it->second.back();
      it->second.pop_back();
      cachedBytes -= size;
      live[p] = size;
      liveBytes += size;
      peakBytes = std::max(peakBytes, liveBytes);
      return p;
    }
    void *p = nullptr;
    cudaError_t e = cudaMalloc(&p, size);
    if (e == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      cudaStreamSynchronize(S.stream);
      releaseCache();
      e = cudaMalloc(&p, size);
    }
    if (e != cudaSuccess) {
      cudaGetLastError();
      size_t freeB = 0, totalB = 0;
      cudaMemGetInfo(&freeB, &totalB);
      throw CudaError(e == cudaErrorMemoryAllocation ? "CUDA_OOM" : std::string("CUDA_") + cudaGetErrorName(e),
                      "out of device memory allocating " + std::to_string(size) + " bytes (" + std::to_string(liveBytes) +
                          " in use by tensors, device has " + std::to_string(freeB) + " of " + std::to_string(totalB) +
                          " free): " + cudaGetErrorString(e));
    }
    ++mallocs;
    live[p] = size;
    liveBytes += size;
    peakBytes = std::max(peakBytes, liveBytes);
    return p;
  }

  void release(void *p) {
    auto it = live.find(p);
    if (it == live.end()) throw std::runtime_error("free of a device pointer the pool did not hand out");
    free[it->second].push_back(p);
    cachedBytes += it->second;
    liveBytes -= it->second;
    live.erase(it);
  }
};
Pool P;

void *workspace(size_t bytes) {
  if (bytes <= S.workspaceBytes) return S.workspace;
  if (S.workspace) P.release(S.workspace);
  S.workspace = nullptr;
  S.workspaceBytes = 0;
  S.workspace = P.alloc(bytes);
  S.workspaceBytes = bytes;
  return S.workspace;
}

// ---------------------------------------------------------------------------------------------
// N-API helpers.

struct Call {
  napi_env env;
  size_t argc = 24;
  napi_value argv[24];
  Call(napi_env e, napi_callback_info info) : env(e) { napi_get_cb_info(e, info, &argc, argv, nullptr, nullptr); }
  napi_value arg(size_t i) const {
    if (i >= argc) throw std::runtime_error("missing argument " + std::to_string(i));
    return argv[i];
  }
  double num(size_t i) const {
    double v;
    if (napi_get_value_double(env, arg(i), &v) != napi_ok) throw std::runtime_error("argument " + std::to_string(i) + " is not a number");
    return v;
  }
  int64_t i64(size_t i) const { return (int64_t)num(i); }
  int i32(size_t i) const { return (int)num(i); }
  bool flag(size_t i) const {
    bool v;
    if (napi_get_value_bool(env, arg(i), &v) != napi_ok) throw std::runtime_error("argument " + std::to_string(i) + " is not a boolean");
    return v;
  }
  template <typename T = float> T *ptr(size_t i) const { return (T *)(uintptr_t)num(i); }
  std::vector<int64_t> ints(size_t i) const {
    napi_value a = arg(i);
    uint32_t n = 0;
    if (napi_get_array_length(env, a, &n) != napi_ok) throw std::runtime_error("argument " + std::to_string(i) + " is not an array");
    std::vector<int64_t> out(n);
    for (uint32_t k = 0; k < n; ++k) {
      napi_value v;
      double d;
      napi_get_element(env, a, k, &v);
      napi_get_value_double(env, v, &d);
      out[k] = (int64_t)d;
    }
    return out;
  }
  void bytes(size_t i, void **data, size_t *length) const {
    napi_typedarray_type type;
    size_t count, offset;
    napi_value buffer;
    if (napi_get_typedarray_info(env, arg(i), &type, &count, data, &buffer, &offset) != napi_ok)
      throw std::runtime_error("argument " + std::to_string(i) + " is not a typed array");
    size_t width = type == napi_uint8_array || type == napi_int8_array || type == napi_uint8_clamped_array ? 1
                   : type == napi_int16_array || type == napi_uint16_array                                 ? 2
                   : type == napi_float64_array || type == napi_bigint64_array || type == napi_biguint64_array ? 8
                                                                                                          : 4;
    *length = count * width;
  }
};

napi_value number(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}
napi_value string(napi_env env, const std::string &s) {
  napi_value r;
  napi_create_string_utf8(env, s.c_str(), s.size(), &r);
  return r;
}
napi_value boolean(napi_env env, bool b) {
  napi_value r;
  napi_get_boolean(env, b, &r);
  return r;
}
void set(napi_env env, napi_value o, const char *k, napi_value v) { napi_set_named_property(env, o, k, v); }
napi_value object(napi_env env) {
  napi_value o;
  napi_create_object(env, &o);
  return o;
}
napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

void throwJs(napi_env env, const std::string &code, const std::string &message) {
  napi_value err, msg, c;
  napi_create_string_utf8(env, message.c_str(), message.size(), &msg);
  napi_create_string_utf8(env, code.c_str(), code.size(), &c);
  napi_create_error(env, c, msg, &err);
  napi_throw(env, err);
}

#define EXPORT(name)                                                     \
  napi_value name##_impl(const Call &c);                                  \
  napi_value name(napi_env env, napi_callback_info info) {                \
    try {                                                                 \
      Call c(env, info);                                                  \
      return name##_impl(c);                                              \
    } catch (const CudaError &e) {                                        \
      throwJs(env, e.code, e.what());                                     \
    } catch (const std::exception &e) {                                   \
      throwJs(env, "CONVKIT_CUDA", e.what());                             \
    }                                                                     \
    return nullptr;                                                       \
  }                                                                       \
  napi_value name##_impl(const Call &c)

void requireReady() {
  if (!S.ready) throw std::runtime_error("the CUDA backend is not initialised (call init first)");
}

// ---------------------------------------------------------------------------------------------
// Kernels. Shapes cross as structs by value; up to 8 dimensions, as cuDNN's own limit.

constexpr int MAXR = 8;
struct Dims {
  int rank;
  int64_t d[MAXR];
};
struct Strides {
  int64_t s[MAXR];
};

Dims toDims(const std::vector<int64_t> &v) {
  if (v.size() > MAXR) throw std::runtime_error("rank " + std::to_string(v.size()) + " is above the 8 dimensions supported");
  Dims r{};
  r.rank = (int)v.size();
  for (size_t i = 0; i < v.size(); ++i) r.d[i] = v[i];
  return r;
}
Strides toStrides(const std::vector<int64_t> &v) {
  if (v.size() > MAXR) throw std::runtime_error("rank " + std::to_string(v.size()) + " is above the 8 dimensions supported");
  Strides r{};
  for (size_t i = 0; i < v.size(); ++i) r.s[i] = v[i];
  return r;
}
int64_t product(const std::vector<int64_t> &v) {
  int64_t p = 1;
  for (auto x : v) p *= x;
  return p;
}

__device__ __forceinline__ int64_t stridedOffset(int64_t i, const Dims &dims, const Strides &st) {
  int64_t off = 0;
  for (int k = dims.rank - 1; k >= 0; --k) {
    int64_t q = i % dims.d[k];
    i /= dims.d[k];
    off += q * st.s[k];
  }
  return off;
}

unsigned blocks(int64_t n, int threads = 256) { return (unsigned)std::max<int64_t>(1, std::min<int64_t>((n + threads - 1) / threads, 65535LL * 8)); }

#define GRID_LOOP(i, n) for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n); i += (int64_t)blockDim.x * gridDim.x)

enum DType { F32 = 0, I32 = 1 };  // bool is held as int32 0/1

// Binary op codes (src/native/ops.ts BINARY).
enum Binary {
  B_ADD, B_SUB, B_MUL, B_DIV, B_MAX, B_MIN, B_POW, B_SQDIFF, B_FLOORDIV, B_MOD, B_ATAN2, B_PRELU,
  B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE, B_AND, B_OR, B_DIVNONAN
};

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
    case B_DIVNONAN: return b == 0 ? 0.f : a / b;
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
    case B_DIVNONAN: return b == 0 ? 0 : a / b;
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

// Unary op codes (src/native/ops.ts UNARY).
enum Unary {
  U_RELU, U_RELU6, U_LEAKYRELU, U_ELU, U_SELU, U_EXP, U_EXPM1, U_LOG, U_LOG1P, U_SQRT, U_RSQRT, U_SQUARE, U_NEG, U_ABS,
  U_SIGMOID, U_TANH, U_SIN, U_COS, U_FLOOR, U_CEIL, U_ROUND, U_SIGN, U_RECIPROCAL, U_SOFTPLUS, U_ERF, U_CLIP, U_STEP,
  U_ISNAN, U_NOT, U_ISINF, U_ISFINITE, U_ATAN, U_ACOS, U_ASIN, U_SINH, U_COSH, U_TAN
};

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

// Casts: 0 f32->i32 (truncates, NaN -> 0 as Int32Array.from), 1 i32->f32, 2 f32->bool, 3 i32->bool.
__global__ void castKernel(int mode, const void *x, void *y, int64_t n) {
  GRID_LOOP(i, n) {
    if (mode == 0) { float v = ((const float *)x)[i]; ((int *)y)[i] = isnan(v) || isinf(v) ? 0 : (int)truncf(v); }
    else if (mode == 1) ((float *)y)[i] = (float)((const int *)x)[i];
    else if (mode == 2) ((int *)y)[i] = ((const float *)x)[i] != 0.f;
    else ((int *)y)[i] = ((const int *)x)[i] != 0;
  }
}

// One strided copy of 4-byte words serves transpose, slice, concat (into an offset of the output),
// pad (into the interior of a filled output), broadcastTo (stride 0) and reverse (negative strides).
__global__ void copyKernel(const uint32_t *x, uint32_t *y, int64_t n, Dims dims, Strides sin, int64_t inOff, Strides sout, int64_t outOff) {
  GRID_LOOP(i, n) y[outOff + stridedOffset(i, dims, sout)] = x[inOff + stridedOffset(i, dims, sin)];
}

// Reductions over the middle axis of [outer, size, inner]. Op codes (src/native/ops.ts REDUCE).
enum Reduce { R_SUM, R_PROD, R_MAX, R_MIN, R_MEAN, R_ARGMAX, R_ARGMIN, R_ANY, R_ALL };

template <typename T> struct Acc {
  double v;
  int64_t idx;
};

template <typename T> __device__ __forceinline__ Acc<T> accInit(int op) {
  switch (op) {
    case R_PROD: case R_ALL: return {1.0, -1};
    case R_MAX: case R_ARGMAX: return {-INFINITY, -1};
    case R_MIN: case R_ARGMIN: return {INFINITY, -1};
  }
  return {0.0, -1};
}

template <typename T> __device__ __forceinline__ Acc<T> accStep(int op, Acc<T> a, double v, int64_t j) {
  switch (op) {
    case R_SUM: case R_MEAN: a.v += v; break;
    case R_PROD: a.v *= v; break;
    // NaN wins and stays, as in tfjs-backend-cpu's max and min.
    case R_MAX: if (a.idx < 0 || (!isnan(a.v) && (isnan(v) || v > a.v))) { a.v = v; a.idx = j; } break;
    case R_MIN: if (a.idx < 0 || (!isnan(a.v) && (isnan(v) || v < a.v))) { a.v = v; a.idx = j; } break;
    case R_ARGMAX: if (a.idx < 0 || v > a.v) { a.v = v; a.idx = j; } break;
    case R_ARGMIN: if (a.idx < 0 || v < a.v) { a.v = v; a.idx = j; } break;
    case R_ANY: a.v = (a.v != 0 || v != 0) ? 1 : 0; break;
    case R_ALL: a.v = (a.v != 0 && v != 0) ? 1 : 0; break;
  }
  return a;
}

// Combines partial results of disjoint index ranges; for arg ops the lower index wins ties, as a
// sequential scan would.
template <typename T> __device__ __forceinline__ Acc<T> accMerge(int op, Acc<T> a, Acc<T> b) {
  switch (op) {
    case R_SUM: case R_MEAN: a.v += b.v; return a;
    case R_PROD: a.v *= b.v; return a;
    case R_MAX: if (b.idx >= 0 && (a.idx < 0 || isnan(b.v) || (!isnan(a.v) && b.v > a.v))) a = b; return a;
    case R_MIN: if (b.idx >= 0 && (a.idx < 0 || isnan(b.v) || (!isnan(a.v) && b.v < a.v))) a = b; return a;
    case R_ARGMAX: if (b.idx >= 0 && (a.idx < 0 || b.v > a.v || (b.v == a.v && b.idx < a.idx))) a = b; return a;
    case R_ARGMIN: if (b.idx >= 0 && (a.idx < 0 || b.v < a.v || (b.v == a.v && b.idx < a.idx))) a = b; return a;
    case R_ANY: a.v = (a.v != 0 || b.v != 0) ? 1 : 0; return a;
    case R_ALL: a.v = (a.v != 0 && b.v != 0) ? 1 : 0; return a;
  }
  return a;
}

template <typename T> __device__ __forceinline__ void accStore(int op, Acc<T> a, int64_t size, void *y, int64_t o, bool intOut) {
  if (op == R_ARGMAX || op == R_ARGMIN) ((int *)y)[o] = (int)(a.idx < 0 ? 0 : a.idx);
  else if (op == R_MEAN) { if (intOut) ((int *)y)[o] = (int)(a.v / size); else ((float *)y)[o] = (float)(a.v / size); }
  else if (intOut) ((int *)y)[o] = (int)a.v;
  else ((float *)y)[o] = (float)a.v;
}

// One block per row when the reduced axis is innermost (contiguous).
template <typename T> __global__ void reduceRows(int op, const T *x, void *y, int64_t outer, int64_t size, bool intOut) {
  __shared__ double sv[256];
  __shared__ int64_t si[256];
  for (int64_t row = blockIdx.x; row < outer; row += gridDim.x) {
    Acc<T> a = accInit<T>(op);
    for (int64_t j = threadIdx.x; j < size; j += blockDim.x) a = accStep<T>(op, a, (double)x[row * size + j], j);
    sv[threadIdx.x] = a.v;
    si[threadIdx.x] = a.idx;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
      if ((int)threadIdx.x < s) {
        Acc<T> l{sv[threadIdx.x], si[threadIdx.x]}, r{sv[threadIdx.x + s], si[threadIdx.x + s]};
        l = accMerge<T>(op, l, r);
        sv[threadIdx.x] = l.v;
        si[threadIdx.x] = l.idx;
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) accStore<T>(op, Acc<T>{sv[0], si[0]}, size, y, row, intOut);
    __syncthreads();
  }
}

// One thread per output when the reduced axis has inner dimensions after it (coalesced over inner).
template <typename T> __global__ void reduceColumns(int op, const T *x, void *y, int64_t outer, int64_t size, int64_t inner, bool intOut) {
  GRID_LOOP(t, outer * inner) {
    int64_t o = t / inner, i = t % inner;
    Acc<T> a = accInit<T>(op);
    for (int64_t j = 0; j < size; ++j) a = accStep<T>(op, a, (double)x[(o * size + j) * inner + i], j);
    accStore<T>(op, a, size, y, t, intOut);
  }
}

// Softmax / log-softmax over the last axis, one block per row.
__global__ void softmaxKernel(const float *x, float *y, int64_t rows, int64_t cols, bool logSoftmax) {
  __shared__ float red[256];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float *xr = x + r * cols;
    float *yr = y + r * cols;
    float m = -INFINITY;
    for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) m = fmaxf(m, xr[j]);
    red[threadIdx.x] = m;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
      if ((int)threadIdx.x < s) red[threadIdx.x] = fmaxf(red[threadIdx.x], red[threadIdx.x + s]);
      __syncthreads();
    }
    m = red[0];
    __syncthreads();
    float sum = 0;
    for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) sum += expf(xr[j] - m);
    red[threadIdx.x] = sum;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
      if ((int)threadIdx.x < s) red[threadIdx.x] += red[threadIdx.x + s];
      __syncthreads();
    }
    sum = red[0];
    __syncthreads();
    float logSum = logf(sum);
    for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) yr[j] = logSoftmax ? xr[j] - m - logSum : expf(xr[j] - m) / sum;
  }
}

// Pooling, NHWC, with tfjs' semantics: max takes the first strictly larger value (a window of
// -Infinity yields -Infinity and no gradient); average divides by the taps inside the input.
struct PoolParams {
  int n, h, w, c, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl;
};

__global__ void poolForward(bool isMax, const float *x, float *y, PoolParams p) {
  int64_t total = (int64_t)p.n * p.oh * p.ow * p.c;
  GRID_LOOP(i, total) {
    int ch = i % p.c;
    int64_t t = i / p.c;
    int ox = t % p.ow;
    t /= p.ow;
    int oy = t % p.oh;
    int b = t / p.oh;
    int yc = oy * p.sh - p.pt, xc = ox * p.sw - p.pl;
    float acc = isMax ? -INFINITY : 0.f;
    int count = 0;
    for (int r = 0; r < p.kh; ++r) {
      int yy = yc + r * p.dh;
      if (yy < 0 || yy >= p.h) continue;
      for (int s = 0; s < p.kw; ++s) {
        int xx = xc + s * p.dw;
        if (xx < 0 || xx >= p.w) continue;
        float v = x[(((int64_t)b * p.h + yy) * p.w + xx) * p.c + ch];
        if (isMax) { if (v > acc) acc = v; }
        else { acc += v; ++count; }
      }
    }
    y[i] = isMax ? acc : (count ? acc / count : 0.f);
  }
}

__device__ __forceinline__ int argmaxTap(const float *x, const PoolParams &p, int b, int oy, int ox, int ch) {
  int yc = oy * p.sh - p.pt, xc = ox * p.sw - p.pl;
  float best = -INFINITY;
  int pos = -1;
  for (int r = 0; r < p.kh; ++r) {
    int yy = yc + r * p.dh;
    if (yy < 0 || yy >= p.h) continue;
    for (int s = 0; s < p.kw; ++s) {
      int xx = xc + s * p.dw;
      if (xx < 0 || xx >= p.w) continue;
      float v = x[(((int64_t)b * p.h + yy) * p.w + xx) * p.c + ch];
      if (v > best) { best = v; pos = r * p.kw + s; }
    }
  }
  return pos;
}

// Gathers, for each input element, the gradients of the windows that use it: no atomics, so the
// result does not depend on scheduling.
__global__ void poolBackward(bool isMax, const float *dy, const float *x, float *dx, PoolParams p) {
  int64_t total = (int64_t)p.n * p.h * p.w * p.c;
  float avgScale = 1.f / (p.kh * p.kw);
  GRID_LOOP(i, total) {
    int ch = i % p.c;
    int64_t t = i / p.c;
    int xx = t % p.w;
    t /= p.w;
    int yy = t % p.h;
    int b = t / p.h;
    float acc = 0;
    for (int r = 0; r < p.kh; ++r) {
      int ty = yy + p.pt - r * p.dh;
      if (ty < 0 || ty % p.sh) continue;
      int oy = ty / p.sh;
      if (oy >= p.oh) continue;
      for (int s = 0; s < p.kw; ++s) {
        int tx = xx + p.pl - s * p.dw;
        if (tx < 0 || tx % p.sw) continue;
        int ox = tx / p.sw;
        if (ox >= p.ow) continue;
        float g = dy[(((int64_t)b * p.oh + oy) * p.ow + ox) * p.c + ch];
        if (isMax) { if (argmaxTap(x, p, b, oy, ox, ch) == r * p.kw + s) acc += g; }
        else acc += g * avgScale;
      }
    }
    dx[i] = acc;
  }
}

// FusedBatchNorm (inference form), with tfjs' flat cyclic indexing of the parameter tensors.
__global__ void batchNormKernel(const float *x, const float *mean, int64_t nm, const float *var, int64_t nv, const float *offset,
                                int64_t no, const float *scale, int64_t ns, float eps, float *y, int64_t n) {
  GRID_LOOP(i, n) {
    float o = offset ? offset[i % no] : 0.f;
    float s = scale ? scale[i % ns] : 1.f;
    y[i] = o + (x[i] - mean[i % nm]) * s / sqrtf(var[i % nv] + eps);
  }
}

// Bias and activation after a convolution or matmul. Activation codes (src/native/ops.ts ACTIVATION).
enum Activation { A_LINEAR, A_RELU, A_RELU6, A_PRELU, A_LEAKYRELU, A_ELU, A_SIGMOID };
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

__global__ void lrnKernel(const float *x, float *y, int64_t n, int c, int radius, float bias, float alpha, float beta) {
  GRID_LOOP(i, n) {
    int ch = i % c;
    int64_t base = i - ch;
    float sum = 0;
    for (int k = max(0, ch - radius); k <= min(c - 1, ch + radius); ++k) sum += x[base + k] * x[base + k];
    y[i] = x[i] * powf(bias + alpha * sum, -beta);
  }
}

// ResizeBilinear as tfjs-backend-cpu computes it (alignCorners, halfPixelCenters).
__global__ void resizeBilinearKernel(const float *x, float *y, int n, int h, int w, int c, int oh, int ow, float rowRatio, float colRatio,
                                     bool halfPixel) {
  int64_t total = (int64_t)n * oh * ow * c;
  GRID_LOOP(i, total) {
    int ch = i % c;
    int64_t t = i / c;
    int ox = t % ow;
    t /= ow;
    int oy = t % oh;
    int b = t / oh;
    float fr = halfPixel ? rowRatio * (oy + 0.5f) - 0.5f : rowRatio * oy;
    float fc = halfPixel ? colRatio * (ox + 0.5f) - 0.5f : colRatio * ox;
    int r0 = max(0, (int)floorf(fr)), c0 = max(0, (int)floorf(fc));
    int r1 = min(h - 1, (int)ceilf(fr)), c1 = min(w - 1, (int)ceilf(fc));
    float rf = fr - r0, cf = fc - c0;
    const float *img = x + (int64_t)b * h * w * c;
    float tl = img[((int64_t)r0 * w + c0) * c + ch], tr = img[((int64_t)r0 * w + c1) * c + ch];
    float bl = img[((int64_t)r1 * w + c0) * c + ch], br = img[((int64_t)r1 * w + c1) * c + ch];
    float top = tl + (tr - tl) * cf, bottom = bl + (br - bl) * cf;
    y[i] = top + (bottom - top) * rf;
  }
}

// GatherV2 with batchDims 0: y[o, j, i] = x[o, idx[j], i]; out-of-range indices give 0.
__global__ void gatherKernel(const uint32_t *x, const int *idx, uint32_t *y, int64_t outer, int64_t axis, int64_t nIdx, int64_t inner) {
  GRID_LOOP(t, outer * nIdx * inner) {
    int64_t i = t % inner;
    int64_t j = (t / inner) % nIdx;
    int64_t o = t / (inner * nIdx);
    int k = idx[j];
    y[t] = (k >= 0 && k < axis) ? x[(o * axis + k) * inner + i] : 0u;
  }
}

__global__ void oneHotKernel(const int *idx, void *y, int64_t n, int depth, float on, float off, bool isInt) {
  GRID_LOOP(t, n * depth) {
    int64_t r = t / depth;
    int d = t % depth;
    float v = idx[r] == d ? on : off;
    if (isInt) ((int *)y)[t] = (int)v;
    else ((float *)y)[t] = v;
  }
}

// Select: `rowSize` > 1 when the condition is rank 1 and picks whole rows.
__global__ void selectKernel(const int *cond, const uint32_t *a, const uint32_t *b, uint32_t *y, int64_t n, int64_t rowSize) {
  GRID_LOOP(i, n) y[i] = cond[i / rowSize] ? a[i] : b[i];
}

__global__ void rangeKernel(void *y, int64_t n, double start, double step, bool isInt) {
  GRID_LOOP(i, n) {
    double v = start + step * (double)i;
    if (isInt) ((int *)y)[i] = (int)v;
    else ((float *)y)[i] = (float)v;
  }
}

// ---------------------------------------------------------------------------------------------
// Library loading.

template <typename F> bool lookup(void *lib, const char *name, F &fn, std::string &missing) {
  fn = (F)dlsym(lib, name);
  if (!fn) missing += std::string(missing.empty() ? "" : ", ") + name;
  return fn != nullptr;
}

std::string loadCudnn() {
  if (S.cudnnLib) return "";
  void *lib = dlopen("libcudnn.so.9", RTLD_NOW | RTLD_LOCAL);
  if (!lib) return std::string("libcudnn.so.9 not found (") + dlerror() + ")";
  std::string missing;
  DnnApi &a = S.api;
#define L(f) lookup(lib, #f, a.f, missing)
  L(cudnnGetVersion); L(cudnnGetErrorString); L(cudnnCreate); L(cudnnSetStream); L(cudnnCreateTensorDescriptor);
  L(cudnnDestroyTensorDescriptor); L(cudnnSetTensor4dDescriptor); L(cudnnCreateFilterDescriptor); L(cudnnDestroyFilterDescriptor);
  L(cudnnSetFilter4dDescriptor); L(cudnnCreateConvolutionDescriptor); L(cudnnDestroyConvolutionDescriptor);
  L(cudnnSetConvolution2dDescriptor); L(cudnnSetConvolutionGroupCount); L(cudnnSetConvolutionMathType);
  L(cudnnGetConvolutionForwardAlgorithm_v7); L(cudnnGetConvolutionBackwardDataAlgorithm_v7);
  L(cudnnGetConvolutionBackwardFilterAlgorithm_v7); L(cudnnConvolutionForward); L(cudnnConvolutionBackwardData);
  L(cudnnConvolutionBackwardFilter);
#undef L
  if (!missing.empty()) {
    dlclose(lib);
    return "libcudnn.so.9 lacks " + missing;
  }
  S.cudnnLib = lib;
  return "";
}

std::string loadCublas() {
  if (S.cublasLib) return "";
  std::string errors;
  for (const char *name : {"libcublas.so.13", "libcublas.so.12"}) {
    void *lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      errors += std::string(errors.empty() ? "" : "; ") + dlerror();
      continue;
    }
    std::string missing;
    DnnApi &a = S.api;
#define L(f) lookup(lib, #f, a.f, missing)
    L(cublasCreate_v2); L(cublasSetStream_v2); L(cublasSetMathMode); L(cublasSgemmStridedBatched);
#undef L
    if (!missing.empty()) {
      errors += std::string(errors.empty() ? "" : "; ") + name + " lacks " + missing;
      dlclose(lib);
      continue;
    }
    S.cublasLib = lib;
    S.cublasName = name;
    return "";
  }
  return "libcublas.so.13 or .12 not found (" + errors + ")";
}

void applyMathModes() {
  if (S.blas) checkBlas(S.api.cublasSetMathMode(S.blas, S.tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
}

// ---------------------------------------------------------------------------------------------
// Convolution through cuDNN. Activations are NHWC, filters KRSC ([out, kh, kw, in/groups]).

struct ConvParams {
  int n, h, w, c, k, r, s, oh, ow, padH, padW, strideH, strideW, dilH, dilW, groups;
};

ConvParams convParams(const std::vector<int64_t> &v) {
  if (v.size() != 16) throw std::runtime_error("convolution parameters: expected 16 numbers, got " + std::to_string(v.size()));
  ConvParams p;
  int *f = &p.n;
  for (int i = 0; i < 16; ++i) f[i] = (int)v[i];
  return p;
}

struct ConvDescs {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  explicit ConvDescs(const ConvParams &p) {
    DnnApi &a = S.api;
    try {
      checkDnn(a.cudnnCreateTensorDescriptor(&x), "cudnnCreateTensorDescriptor");
      checkDnn(a.cudnnCreateTensorDescriptor(&y), "cudnnCreateTensorDescriptor");
      checkDnn(a.cudnnCreateFilterDescriptor(&w), "cudnnCreateFilterDescriptor");
      checkDnn(a.cudnnCreateConvolutionDescriptor(&conv), "cudnnCreateConvolutionDescriptor");
      checkDnn(a.cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, p.n, p.c, p.h, p.w), "cudnnSetTensor4dDescriptor(x)");
      checkDnn(a.cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, p.n, p.k, p.oh, p.ow), "cudnnSetTensor4dDescriptor(y)");
      checkDnn(a.cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NHWC, p.k, p.c / p.groups, p.r, p.s), "cudnnSetFilter4dDescriptor");
      checkDnn(a.cudnnSetConvolution2dDescriptor(conv, p.padH, p.padW, p.strideH, p.strideW, p.dilH, p.dilW, CUDNN_CROSS_CORRELATION,
                                                 CUDNN_DATA_FLOAT),
               "cudnnSetConvolution2dDescriptor");
      checkDnn(a.cudnnSetConvolutionGroupCount(conv, p.groups), "cudnnSetConvolutionGroupCount");
      checkDnn(a.cudnnSetConvolutionMathType(conv, S.tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH), "cudnnSetConvolutionMathType");
    } catch (...) {
      release();
      throw;
    }
  }
  void release() {
    if (x) S.api.cudnnDestroyTensorDescriptor(x);
    if (y) S.api.cudnnDestroyTensorDescriptor(y);
    if (w) S.api.cudnnDestroyFilterDescriptor(w);
    if (conv) S.api.cudnnDestroyConvolutionDescriptor(conv);
    x = y = nullptr;
    w = nullptr;
    conv = nullptr;
  }
  ~ConvDescs() { release(); }
};

struct AlgoChoice {
  int algo, mathType;
  size_t memory;
};
std::map<std::vector<int>, AlgoChoice> algoCache;

// The heuristic's best algorithm whose workspace fits the limit; in exact mode the math type is
// forced to FMA whatever the heuristic reports, so no TF32 tensor-core path can be taken.
template <typename Query>
AlgoChoice chooseAlgo(int kind, const ConvParams &p, ConvDescs &d, Query query) {
  std::vector<int> key(&p.n, &p.n + 16);
  key.push_back(kind);
  key.push_back(S.tf32);
  auto hit = algoCache.find(key);
  if (hit != algoCache.end()) return hit->second;
  cudnnAlgoPerf perf[16];
  int returned = 0;
  checkDnn(query(16, &returned, perf), kind == 0 ? "cudnnGetConvolutionForwardAlgorithm_v7" : kind == 1 ? "cudnnGetConvolutionBackwardDataAlgorithm_v7" : "cudnnGetConvolutionBackwardFilterAlgorithm_v7");
  const size_t limit = size_t(4) << 30;
  for (int i = 0; i < returned; ++i) {
    if (perf[i].status != CUDNN_STATUS_SUCCESS || perf[i].memory > limit) continue;
    if (!S.tf32 && perf[i].mathType != CUDNN_FMA_MATH && perf[i].mathType != CUDNN_DEFAULT_MATH) continue;
    AlgoChoice c{perf[i].algo, S.tf32 ? perf[i].mathType : CUDNN_FMA_MATH, perf[i].memory};
    algoCache[key] = c;
    return c;
  }
  throw std::runtime_error("cuDNN offers no algorithm for this convolution (" + std::to_string(returned) + " candidates rejected)");
}

// ---------------------------------------------------------------------------------------------
// Exported functions.

EXPORT(probe) {
  napi_env env = c.env;
  napi_value r = object(env);
  int runtime = 0, driver = 0, count = 0;
  cudaRuntimeGetVersion(&runtime);
  cudaDriverGetVersion(&driver);
  set(env, r, "runtimeVersion", number(env, runtime));
  set(env, r, "driverVersion", number(env, driver));
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    set(env, r, "deviceError", string(env, std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e)));
    cudaGetLastError();
    count = 0;
  }
  set(env, r, "deviceCount", number(env, count));
  if (count > 0) {
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess) {
      napi_value d = object(env);
      set(env, d, "name", string(env, prop.name));
      set(env, d, "computeCapability", string(env, std::to_string(prop.major) + "." + std::to_string(prop.minor)));
      set(env, d, "totalBytes", number(env, (double)prop.totalGlobalMem));
      set(env, d, "multiprocessors", number(env, prop.multiProcessorCount));
      set(env, r, "device", d);
    }
  }
  napi_value dnn = object(env), blas = object(env);
  std::string err = loadCudnn();
  set(env, dnn, "loaded", boolean(env, err.empty()));
  if (err.empty()) set(env, dnn, "version", number(env, (double)S.api.cudnnGetVersion()));
  else set(env, dnn, "error", string(env, err));
  err = loadCublas();
  set(env, blas, "loaded", boolean(env, err.empty()));
  if (err.empty()) set(env, blas, "library", string(env, S.cublasName));
  else set(env, blas, "error", string(env, err));
  set(env, r, "cudnn", dnn);
  set(env, r, "cublas", blas);
  return r;
}

EXPORT(init) {
  S.tf32 = c.flag(0);
  if (S.ready) {
    applyMathModes();
    return undefined(c.env);
  }
  std::string err = loadCudnn();
  if (!err.empty()) throw std::runtime_error(err);
  err = loadCublas();
  if (!err.empty()) throw std::runtime_error(err);
  checkCuda(cudaSetDevice(0), "cudaSetDevice");
  checkCuda(cudaStreamCreateWithFlags(&S.stream, cudaStreamNonBlocking), "cudaStreamCreate");
  checkDnn(S.api.cudnnCreate(&S.dnn), "cudnnCreate");
  checkDnn(S.api.cudnnSetStream(S.dnn, S.stream), "cudnnSetStream");
  checkBlas(S.api.cublasCreate_v2(&S.blas), "cublasCreate");
  checkBlas(S.api.cublasSetStream_v2(S.blas, S.stream), "cublasSetStream");
  applyMathModes();
  S.ready = true;
  return undefined(c.env);
}

EXPORT(setTf32) {
  S.tf32 = c.flag(0);
  applyMathModes();
  return undefined(c.env);
}

EXPORT(alloc) {
  requireReady();
  return number(c.env, (double)(uintptr_t)P.alloc((size_t)c.num(0)));
}

EXPORT(release) {
  requireReady();
  P.release(c.ptr<void>(0));
  return undefined(c.env);
}

EXPORT(upload) {
  requireReady();
  void *data;
  size_t length;
  c.bytes(1, &data, &length);
  checkCuda(cudaMemcpyAsync(c.ptr<void>(0), data, length, cudaMemcpyHostToDevice, S.stream), "upload");
  // The host array may be collected once this call returns.
  checkCuda(cudaStreamSynchronize(S.stream), "upload (synchronise)");
  return undefined(c.env);
}

EXPORT(download) {
  requireReady();
  void *data;
  size_t length;
  c.bytes(1, &data, &length);
  checkCuda(cudaMemcpyAsync(data, c.ptr<void>(0), length, cudaMemcpyDeviceToHost, S.stream), "download");
  checkCuda(cudaStreamSynchronize(S.stream), "download (synchronise): an earlier kernel may have failed");
  return undefined(c.env);
}

EXPORT(synchronize) {
  requireReady();
  checkCuda(cudaStreamSynchronize(S.stream), "synchronize");
  return undefined(c.env);
}

EXPORT(memory) {
  napi_env env = c.env;
  napi_value r = object(env);
  size_t freeB = 0, totalB = 0;
  if (S.ready) cudaMemGetInfo(&freeB, &totalB);
  set(env, r, "inUseBytes", number(env, (double)P.liveBytes));
  set(env, r, "inUseBlocks", number(env, (double)P.live.size()));
  set(env, r, "cachedBytes", number(env, (double)P.cachedBytes));
  set(env, r, "peakBytes", number(env, (double)P.peakBytes));
  set(env, r, "cudaMallocs", number(env, (double)P.mallocs));
  set(env, r, "deviceFreeBytes", number(env, (double)freeB));
  set(env, r, "deviceTotalBytes", number(env, (double)totalB));
  return r;
}

EXPORT(emptyCache) {
  if (S.ready) {
    checkCuda(cudaStreamSynchronize(S.stream), "emptyCache (synchronise)");
    P.releaseCache();
  }
  return undefined(c.env);
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

// copy(x, y, shape, inStrides, inOffset, outStrides, outOffset)
EXPORT(copy) {
  requireReady();
  auto shape = c.ints(2);
  int64_t n = product(shape);
  if (n > 0)
    copyKernel<<<blocks(n), 256, 0, S.stream>>>(c.ptr<uint32_t>(0), c.ptr<uint32_t>(1), n, toDims(shape), toStrides(c.ints(3)), c.i64(4),
                                                toStrides(c.ints(5)), c.i64(6));
  checkLaunch("copy");
  return undefined(c.env);
}

// reduce(op, dtype, x, y, outer, size, inner, outInt)
EXPORT(reduce) {
  requireReady();
  int op = c.i32(0), dtype = c.i32(1);
  int64_t outer = c.i64(4), size = c.i64(5), inner = c.i64(6);
  bool outInt = c.flag(7);
  if (outer * inner > 0) {
    if (inner == 1) {
      unsigned g = (unsigned)std::min<int64_t>(outer, 65535LL * 8);
      if (dtype == F32) reduceRows<float><<<g, 256, 0, S.stream>>>(op, c.ptr<float>(2), c.ptr<void>(3), outer, size, outInt);
      else reduceRows<int><<<g, 256, 0, S.stream>>>(op, c.ptr<int>(2), c.ptr<void>(3), outer, size, outInt);
    } else {
      if (dtype == F32) reduceColumns<float><<<blocks(outer * inner), 256, 0, S.stream>>>(op, c.ptr<float>(2), c.ptr<void>(3), outer, size, inner, outInt);
      else reduceColumns<int><<<blocks(outer * inner), 256, 0, S.stream>>>(op, c.ptr<int>(2), c.ptr<void>(3), outer, size, inner, outInt);
    }
  }
  checkLaunch("reduce");
  return undefined(c.env);
}

// softmax(x, y, rows, cols, log)
EXPORT(softmax) {
  requireReady();
  int64_t rows = c.i64(2), cols = c.i64(3);
  if (rows > 0) softmaxKernel<<<(unsigned)std::min<int64_t>(rows, 65535LL * 8), 256, 0, S.stream>>>(c.ptr(0), c.ptr(1), rows, cols, c.flag(4));
  checkLaunch("softmax");
  return undefined(c.env);
}

PoolParams poolParams(const std::vector<int64_t> &v) {
  if (v.size() != 14) throw std::runtime_error("pooling parameters: expected 14 numbers, got " + std::to_string(v.size()));
  PoolParams p;
  int *f = &p.n;
  for (int i = 0; i < 14; ++i) f[i] = (int)v[i];
  return p;
}

// pool(isMax, x, y, params[14])
EXPORT(pool) {
  requireReady();
  PoolParams p = poolParams(c.ints(3));
  int64_t n = (int64_t)p.n * p.oh * p.ow * p.c;
  if (n > 0) poolForward<<<blocks(n), 256, 0, S.stream>>>(c.flag(0), c.ptr(1), c.ptr(2), p);
  checkLaunch("pool");
  return undefined(c.env);
}

// poolGrad(isMax, dy, x, dx, params[14]); x is only read for max pooling
EXPORT(poolGrad) {
  requireReady();
  PoolParams p = poolParams(c.ints(4));
  int64_t n = (int64_t)p.n * p.h * p.w * p.c;
  if (n > 0) poolBackward<<<blocks(n), 256, 0, S.stream>>>(c.flag(0), c.ptr(1), c.ptr(2), c.ptr(3), p);
  checkLaunch("poolGrad");
  return undefined(c.env);
}

// conv2d(x, w, y, params[16]): y = conv(x, w)
EXPORT(conv2d) {
  requireReady();
  ConvParams p = convParams(c.ints(3));
  ConvDescs d(p);
  AlgoChoice a = chooseAlgo(0, p, d, [&](int req, int *ret, cudnnAlgoPerf *perf) {
    return S.api.cudnnGetConvolutionForwardAlgorithm_v7(S.dnn, d.x, d.w, d.conv, d.y, req, ret, perf);
  });
  checkDnn(S.api.cudnnSetConvolutionMathType(d.conv, a.mathType), "cudnnSetConvolutionMathType");
  float one = 1, zero = 0;
  void *ws = a.memory ? workspace(a.memory) : nullptr;
  checkDnn(S.api.cudnnConvolutionForward(S.dnn, &one, d.x, c.ptr(0), d.w, c.ptr(1), d.conv, a.algo, ws, a.memory, &zero, d.y, c.ptr(2)),
           "cudnnConvolutionForward");
  return undefined(c.env);
}

// conv2dBackwardData(dy, w, dx, params[16]): dx = conv^T(dy, w)
EXPORT(conv2dBackwardData) {
  requireReady();
  ConvParams p = convParams(c.ints(3));
  ConvDescs d(p);
  AlgoChoice a = chooseAlgo(1, p, d, [&](int req, int *ret, cudnnAlgoPerf *perf) {
    return S.api.cudnnGetConvolutionBackwardDataAlgorithm_v7(S.dnn, d.w, d.y, d.conv, d.x, req, ret, perf);
  });
  checkDnn(S.api.cudnnSetConvolutionMathType(d.conv, a.mathType), "cudnnSetConvolutionMathType");
  float one = 1, zero = 0;
  void *ws = a.memory ? workspace(a.memory) : nullptr;
  checkDnn(S.api.cudnnConvolutionBackwardData(S.dnn, &one, d.w, c.ptr(1), d.y, c.ptr(0), d.conv, a.algo, ws, a.memory, &zero, d.x, c.ptr(2)),
           "cudnnConvolutionBackwardData");
  return undefined(c.env);
}

// conv2dBackwardFilter(x, dy, dw, params[16])
EXPORT(conv2dBackwardFilter) {
  requireReady();
  ConvParams p = convParams(c.ints(3));
  ConvDescs d(p);
  AlgoChoice a = chooseAlgo(2, p, d, [&](int req, int *ret, cudnnAlgoPerf *perf) {
    return S.api.cudnnGetConvolutionBackwardFilterAlgorithm_v7(S.dnn, d.x, d.y, d.conv, d.w, req, ret, perf);
  });
  checkDnn(S.api.cudnnSetConvolutionMathType(d.conv, a.mathType), "cudnnSetConvolutionMathType");
  float one = 1, zero = 0;
  void *ws = a.memory ? workspace(a.memory) : nullptr;
  checkDnn(S.api.cudnnConvolutionBackwardFilter(S.dnn, &one, d.x, c.ptr(0), d.y, c.ptr(1), d.conv, a.algo, ws, a.memory, &zero, d.w, c.ptr(2)),
           "cudnnConvolutionBackwardFilter");
  return undefined(c.env);
}

// gemm(a, b, y, batch, m, n, k, transA, transB, strideA, strideB): row-major y[b] = op(a[b]) op(b[b]),
// computed as the column-major y^T = op(b)^T op(a)^T so that no transposition is materialised.
EXPORT(gemm) {
  requireReady();
  int batch = c.i32(3), m = c.i32(4), n = c.i32(5), k = c.i32(6);
  bool ta = c.flag(7), tb = c.flag(8);
  long long sa = c.i64(9), sb = c.i64(10);
  int lda = ta ? m : k, ldb = tb ? k : n;
  float one = 1, zero = 0;
  if (batch > 0 && m > 0 && n > 0)
    checkBlas(S.api.cublasSgemmStridedBatched(S.blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &one, c.ptr(1), ldb,
                                              sb, c.ptr(0), lda, sa, &zero, c.ptr(2), n, (long long)m * n, batch),
              "cublasSgemmStridedBatched");
  return undefined(c.env);
}

// batchNorm(x, mean, nm, var, nv, offset|0, no, scale|0, ns, eps, y, n)
EXPORT(batchNorm) {
  requireReady();
  int64_t n = c.i64(11);
  if (n > 0)
    batchNormKernel<<<blocks(n), 256, 0, S.stream>>>(c.ptr(0), c.ptr(1), c.i64(2), c.ptr(3), c.i64(4), c.ptr(5), c.i64(6), c.ptr(7), c.i64(8),
                                                     (float)c.num(9), c.ptr(10), n);
  checkLaunch("batchNorm");
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

// lrn(x, y, n, channels, radius, bias, alpha, beta)
EXPORT(lrn) {
  requireReady();
  int64_t n = c.i64(2);
  if (n > 0) lrnKernel<<<blocks(n), 256, 0, S.stream>>>(c.ptr(0), c.ptr(1), n, c.i32(3), c.i32(4), (float)c.num(5), (float)c.num(6), (float)c.num(7));
  checkLaunch("lrn");
  return undefined(c.env);
}

// resizeBilinear(x, y, [n, h, w, c, oh, ow], rowRatio, colRatio, halfPixel)
EXPORT(resizeBilinear) {
  requireReady();
  auto s = c.ints(2);
  if (s.size() != 6) throw std::runtime_error("resizeBilinear: expected 6 sizes");
  int64_t n = s[0] * s[4] * s[5] * s[3];
  if (n > 0)
    resizeBilinearKernel<<<blocks(n), 256, 0, S.stream>>>(c.ptr(0), c.ptr(1), (int)s[0], (int)s[1], (int)s[2], (int)s[3], (int)s[4], (int)s[5],
                                                          (float)c.num(3), (float)c.num(4), c.flag(5));
  checkLaunch("resizeBilinear");
  return undefined(c.env);
}

// gather(x, indices, y, outer, axisSize, nIndices, inner)
EXPORT(gather) {
  requireReady();
  int64_t outer = c.i64(3), axis = c.i64(4), nIdx = c.i64(5), inner = c.i64(6);
  if (outer * nIdx * inner > 0)
    gatherKernel<<<blocks(outer * nIdx * inner), 256, 0, S.stream>>>(c.ptr<uint32_t>(0), c.ptr<int>(1), c.ptr<uint32_t>(2), outer, axis, nIdx, inner);
  checkLaunch("gather");
  return undefined(c.env);
}

// oneHot(indices, y, n, depth, on, off, isInt)
EXPORT(oneHot) {
  requireReady();
  int64_t n = c.i64(2);
  int depth = c.i32(3);
  if (n * depth > 0)
    oneHotKernel<<<blocks(n * depth), 256, 0, S.stream>>>(c.ptr<int>(0), c.ptr<void>(1), n, depth, (float)c.num(4), (float)c.num(5), c.flag(6));
  checkLaunch("oneHot");
  return undefined(c.env);
}

// select(cond, a, b, y, n, rowSize)
EXPORT(select) {
  requireReady();
  int64_t n = c.i64(4);
  if (n > 0)
    selectKernel<<<blocks(n), 256, 0, S.stream>>>(c.ptr<int>(0), c.ptr<uint32_t>(1), c.ptr<uint32_t>(2), c.ptr<uint32_t>(3), n, std::max<int64_t>(1, c.i64(5)));
  checkLaunch("select");
  return undefined(c.env);
}

// range(y, n, start, step, isInt)
EXPORT(range) {
  requireReady();
  int64_t n = c.i64(1);
  if (n > 0) rangeKernel<<<blocks(n), 256, 0, S.stream>>>(c.ptr<void>(0), n, c.num(2), c.num(3), c.flag(4));
  checkLaunch("range");
  return undefined(c.env);
}

}  // namespace

NAPI_MODULE_INIT() {
  struct Entry {
    const char *name;
    napi_callback fn;
  } entries[] = {
      {"probe", probe}, {"init", init}, {"setTf32", setTf32}, {"alloc", alloc}, {"release", release}, {"upload", upload},
      {"download", download}, {"synchronize", synchronize}, {"memory", memory}, {"emptyCache", emptyCache}, {"fill", fill},
      {"unary", unary}, {"binary", binary}, {"cast", cast}, {"copy", copy}, {"reduce", reduce}, {"softmax", softmax},
      {"pool", pool}, {"poolGrad", poolGrad}, {"conv2d", conv2d}, {"conv2dBackwardData", conv2dBackwardData},
      {"conv2dBackwardFilter", conv2dBackwardFilter}, {"gemm", gemm}, {"batchNorm", batchNorm}, {"biasActivation", biasActivation},
      {"lrn", lrn}, {"resizeBilinear", resizeBilinear}, {"gather", gather}, {"oneHot", oneHot}, {"select", select}, {"range", range},
  };
  for (const Entry &e : entries) {
    napi_value fn;
    napi_create_function(env, e.name, NAPI_AUTO_LENGTH, e.fn, nullptr, &fn);
    napi_set_named_property(env, exports, e.name, fn);
  }
  return exports;
}
