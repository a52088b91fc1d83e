// The native half of @convkit/backend-cuda: a N-API addon owning the CUDA stream, a caching device
// allocator (allocator.cu), cuDNN/cuBLAS handles (libraries opened with dlopen, see dnn_api.h) and
// the CUDA kernels, one file per family. Every call is enqueued on one stream, so a freed block can
// be handed out again at once (stream order protects it) and only host reads synchronise. Op codes
// are shared with src/native/ops.ts through op_codes.h, checked at load.
//
// This file: errors, library loading, initialisation, and the exports that are not kernels.
#include <dlfcn.h>

#include "convkit_cuda.h"

namespace convkit {

State S;

void checkCuda(cudaError_t e, const char *what) {
  if (e == cudaSuccess) return;
  std::string code = e == cudaErrorMemoryAllocation ? "CUDA_OOM" : std::string("CUDA_") + cudaGetErrorName(e);
  throw CudaError(code, std::string(what) + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")");
}

void checkDnn(cudnnStatus_t s, const char *what) {
  if (s == CUDNN_STATUS_SUCCESS) return;
  const char *msg = S.api.cudnnGetErrorString ? S.api.cudnnGetErrorString(s) : "unknown";
  throw CudaError("CUDNN_" + std::to_string(s), std::string(what) + ": cuDNN status " + std::to_string(s) + " (" + msg + ")");
}

void checkBlas(cublasStatus_t s, const char *what) {
  if (s == CUBLAS_STATUS_SUCCESS) return;
  throw CudaError("CUBLAS_" + std::to_string(s), std::string(what) + ": cuBLAS status " + std::to_string(s));
}

void requireReady() {
  if (!S.ready) throw std::runtime_error("the CUDA backend is not initialised (call init first)");
}

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

unsigned blocks(int64_t n, int threads) { return (unsigned)std::max<int64_t>(1, std::min<int64_t>((n + threads - 1) / threads, 65535LL * 8)); }

namespace {

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

// opCodes(): { dtype: { float32: 0, ... }, binary: { Add: 0, ... }, ... } from op_codes.h.
EXPORT(opCodes) {
  napi_env env = c.env;
  napi_value r = object(env);
  int code = 0;
#define CONVKIT_OP_CODE(cpp, ts) set(env, list, #ts, number(env, code++));
#define CONVKIT_OP_CODE_LIST(name, entries) \
  {                                          \
    napi_value list = object(env);           \
    code = 0;                                \
    entries(CONVKIT_OP_CODE)                 \
    set(env, r, #name, list);                \
  }
  CONVKIT_OP_CODE_LISTS(CONVKIT_OP_CODE_LIST)
#undef CONVKIT_OP_CODE_LIST
#undef CONVKIT_OP_CODE
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

EXPORT(synchronize) {
  requireReady();
  checkCuda(cudaStreamSynchronize(S.stream), "synchronize");
  return undefined(c.env);
}

}  // namespace
}  // namespace convkit
