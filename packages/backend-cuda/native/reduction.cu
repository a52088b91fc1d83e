// Reductions over the middle axis of [outer, size, inner] (sum, prod, max, min, mean, arg max/min,
// any, all) and softmax over the last axis.
#include "convkit_cuda.h"

namespace convkit {
namespace {

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

}  // namespace
}  // namespace convkit
