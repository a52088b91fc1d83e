// Max and average pooling, NHWC, forward and backward.
#include "convkit_cuda.h"

namespace convkit {
namespace {

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

}  // namespace
}  // namespace convkit
