// Batched matrix products through cuBLAS.
#include "convkit_cuda.h"

namespace convkit {
namespace {

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

}  // namespace
}  // namespace convkit
