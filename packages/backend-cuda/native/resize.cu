// ResizeBilinear.
#include "convkit_cuda.h"

namespace convkit {
namespace {

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

}  // namespace
}  // namespace convkit
