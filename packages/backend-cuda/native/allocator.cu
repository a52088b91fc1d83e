// Caching allocator: blocks are rounded to size classes and kept on per-size free lists when freed,
// as PyTorch's allocator does, because cudaMalloc/cudaFree synchronise the device and cost
// hundreds of microseconds. On cudaMalloc failure the cache is released and the allocation retried.
// Also the exports that move bytes between host and device.
#include <algorithm>

#include "convkit_cuda.h"

namespace convkit {

Pool P;

size_t Pool::roundSize(size_t bytes) {
  if (bytes == 0) bytes = 1;
  if (bytes <= (1u << 20)) return (bytes + 511) & ~size_t(511);
  return (bytes + (2u << 20) - 1) & ~size_t((2u << 20) - 1);
}

void Pool::releaseCache() {
  for (auto &entry : free)
    for (void *p : entry.second) cudaFree(p);
  free.clear();
  cachedBytes = 0;
}

void *Pool::alloc(size_t bytes) {
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

void Pool::release(void *p) {
  auto it = live.find(p);
  if (it == live.end()) throw std::runtime_error("free of a device pointer the pool did not hand out");
  free[it->second].push_back(p);
  cachedBytes += it->second;
  liveBytes -= it->second;
  live.erase(it);
}

void *workspace(size_t bytes) {
  if (bytes <= S.workspaceBytes) return S.workspace;
  if (S.workspace) P.release(S.workspace);
  S.workspace = nullptr;
  S.workspaceBytes = 0;
  S.workspace = P.alloc(bytes);
  S.workspaceBytes = bytes;
  return S.workspace;
}

namespace {

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

}  // namespace
}  // namespace convkit
