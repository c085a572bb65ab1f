#pragma once
// The single-precision GEMM of the convolution kernels:
//   C (M×N) = alpha · op(A) · op(B) + beta · C, row-major, with leading dimensions,
// called from inside the kernels' OpenMP loops (so it must run single-threaded).
//
// Backend: BLIS (Debian's serial libblis) when the build found it — its kernels reach about
// 180 GFLOP/s per core on the convolution shapes here against Eigen's 150 — else Eigen.

namespace ll {

void sgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
           const float* B, int ldb, float beta, float* C, int ldc);

/// "blis (skx kernels)" or "eigen": for benchmarks and `layerlens version`.
const char* gemmBackend();

}  // namespace ll
