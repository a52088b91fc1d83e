// Kernels that move 4-byte words by index: the strided copy (transpose, slice, concat, pad,
// broadcast, reverse), gather, one-hot, select and range.
#include "convkit_cuda.h"

namespace convkit {
namespace {

// One strided copy of 4-byte words serves transpose, slice, concat (into an offset of the output),
// pad (into the interior of a filled output), broadcastTo (stride 0) and reverse (negative strides).
__global__ void copyKernel(const uint32_t *x, uint32_t *y, int64_t n, Dims dims, Strides sin, int64_t inOff, Strides sout, int64_t outOff) {
  GRID_LOOP(i, n) y[outOff + stridedOffset(i, dims, sout)] = x[inOff + stridedOffset(i, dims, sin)];
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
}  // namespace convkit
