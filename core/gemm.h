#pragma once
// The single-precision GEMM of the convolution kernels:
//   C (M×N) = alpha · op(A) · op(B) + beta · C, row-major, with leading dimensions,
// called from inside the kernels' OpenMP loops (so it must run single-threaded).
//
// Backend: BLIS (Debian's serial libblis) when the build found it — its kernels reach about
// 180 GFLOP/s per core on the convolution shapes here against Eigen's 150 — else Eigen. BLIS
// picks its kernels by the CPU at run time; Eigen's are fixed when compiling, so a portable build
// carries AVX2 and AVX-512 copies of its Eigen product (isa_kernels.h). When the Eigen that runs
// is AVX or wider, the small products (below 4M multiply-adds) go to it, which is faster there;
// an SSE-only one gets none.

namespace ll {

void sgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
           const float* B, int ldb, float beta, float* C, int ldc);

/// sgemm by BLIS whatever the size, when the build has it (else sgemm): for products that are
/// small one by one but many (Winograd's 16 per block), where BLIS's kernels beat Eigen's.
void sgemmPacked(bool transA, bool transB, int M, int N, int K, float alpha, const float* A,
                 int lda, const float* B, int ldb, float beta, float* C, int ldc);

/// sgemm with the rows or the columns of C (the longer side) split over the OpenMP team (one
/// thread below kParallelMinWork multiply-adds), each part one single-threaded sgemm: for layers
/// that multiply outside a parallel loop (Linear, in the fast kernel set).
void sgemmParallel(bool transA, bool transB, int M, int N, int K, float alpha, const float* A,
                   int lda, const float* B, int ldb, float beta, float* C, int ldc);

/// "blis (skx kernels)" or "eigen": for benchmarks and `layerlens version`.
const char* gemmBackend();

}  // namespace ll
