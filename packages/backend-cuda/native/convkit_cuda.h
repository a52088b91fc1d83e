// What every file of the addon shares: errors, the runtime state (stream, library handles), the
// caching allocator, the N-API call wrapper and the EXPORT macro that registers a JS function, and
// the shape structs and launch helpers of the kernels. See runtime.cu for the design.
#pragma once
#define NAPI_VERSION 8
#include <node_api.h>
#include <cuda_runtime.h>

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
#include "op_codes.h"

namespace convkit {

// Errors: C++ exceptions inside, JS Errors with a code at the boundary (see EXPORT).
struct CudaError : std::runtime_error {
  std::string code;
  CudaError(const std::string &c, const std::string &m) : std::runtime_error(m), code(c) {}
};

void checkCuda(cudaError_t e, const char *what);
void checkDnn(cudnnStatus_t s, const char *what);
void checkBlas(cublasStatus_t s, const char *what);
inline void checkLaunch(const char *what) { checkCuda(cudaGetLastError(), what); }

// The runtime (runtime.cu): one stream for every call, cuDNN and cuBLAS opened with dlopen.
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
extern State S;

void requireReady();

// The caching allocator (allocator.cu).
struct Pool {
  std::unordered_map<void *, size_t> live;     // pointer -> block size
  std::map<size_t, std::vector<void *>> free;  // block size -> cached blocks
  size_t liveBytes = 0, cachedBytes = 0, peakBytes = 0;
  uint64_t mallocs = 0;

  static size_t roundSize(size_t bytes);
  void releaseCache();
  void *alloc(size_t bytes);
  void release(void *p);
};
extern Pool P;

/** cuDNN's scratch space, grown to the largest request and kept. */
void *workspace(size_t bytes);

// N-API (napi.cu).
struct Call {
  napi_env env;
  size_t argc = 24;
  napi_value argv[24];
  Call(napi_env e, napi_callback_info info);
  napi_value arg(size_t i) const;
  double num(size_t i) const;
  int64_t i64(size_t i) const { return (int64_t)num(i); }
  int i32(size_t i) const { return (int)num(i); }
  bool flag(size_t i) const;
  template <typename T = float> T *ptr(size_t i) const { return (T *)(uintptr_t)num(i); }
  std::vector<int64_t> ints(size_t i) const;
  void bytes(size_t i, void **data, size_t *length) const;
};

napi_value number(napi_env env, double v);
napi_value string(napi_env env, const std::string &s);
napi_value boolean(napi_env env, bool b);
napi_value object(napi_env env);
napi_value undefined(napi_env env);
void set(napi_env env, napi_value o, const char *k, napi_value v);

/** Runs `impl`, turning a C++ exception into a thrown JS Error with its code. */
napi_value callJs(napi_env env, napi_callback_info info, napi_value (*impl)(const Call &));

/** Adds a function to the module's exports; EXPORT calls it from a static initialiser. */
struct ExportRegistration {
  ExportRegistration(const char *name, napi_callback fn);
};

// EXPORT(name) { ... } defines the JS function `name` (its body reads arguments from `c`) and
// registers it, so a new function is one block in the file of its family.
#define EXPORT(name)                                                                                         \
  napi_value name##_impl(const Call &c);                                                                     \
  napi_value name##_js(napi_env env, napi_callback_info info) { return callJs(env, info, name##_impl); }     \
  const ExportRegistration name##_registration(#name, name##_js);                                            \
  napi_value name##_impl(const Call &c)

// Kernels. Shapes cross as structs by value; up to 8 dimensions, as cuDNN's own limit.
constexpr int MAXR = 8;
struct Dims {
  int rank;
  int64_t d[MAXR];
};
struct Strides {
  int64_t s[MAXR];
};

Dims toDims(const std::vector<int64_t> &v);
Strides toStrides(const std::vector<int64_t> &v);
int64_t product(const std::vector<int64_t> &v);

__device__ __forceinline__ int64_t stridedOffset(int64_t i, const Dims &dims, const Strides &st) {
  int64_t off = 0;
  for (int k = dims.rank - 1; k >= 0; --k) {
    int64_t q = i % dims.d[k];
    i /= dims.d[k];
    off += q * st.s[k];
  }
  return off;
}

/** Blocks of `threads` for `n` elements, capped so that grid-stride loops cover the rest. */
unsigned blocks(int64_t n, int threads = 256);

#define GRID_LOOP(i, n) for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n); i += (int64_t)blockDim.x * gridDim.x)

}  // namespace convkit
