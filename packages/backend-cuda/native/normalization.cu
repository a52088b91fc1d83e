// FusedBatchNorm (inference form) and local response normalisation.
#include "convkit_cuda.h"

namespace convkit {
namespace {

// FusedBatchNorm (inference form), with tfjs' flat cyclic indexing of the parameter tensors.
__global__ void batchNormKernel(const float *x, const float *mean, int64_t nm, const float *var, int64_t nv, const float *offset,
                                int64_t no, const float *scale, int64_t ns, float eps, float *y, int64_t n) {
  GRID_LOOP(i, n) {
    float o = offset ? offset[i % no] : 0.f;
    float s = scale ? scale[i % ns] : 1.f;
    y[i] = o + (x[i] - mean[i % nm]) * s / sqrtf(var[i % nv] + eps);
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

// lrn(x, y, n, channels, radius, bias, alpha, beta)
EXPORT(lrn) {
  requireReady();
  int64_t n = c.i64(2);
  if (n > 0) lrnKernel<<<blocks(n), 256, 0, S.stream>>>(c.ptr(0), c.ptr(1), n, c.i32(3), c.i32(4), (float)c.num(5), (float)c.num(6), (float)c.num(7));
  checkLaunch("lrn");
  return undefined(c.env);
}

}  // namespace
}  // namespace convkit
