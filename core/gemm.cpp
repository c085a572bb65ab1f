#include "core/gemm.h"

#include <cstdint>
#include <cstdlib>

#include "core/isa_kernels.h"
#include "core/parallel.h"
#include "core/tensor.h"

#ifdef LAYERLENS_HAVE_BLIS
// The CBLAS interface of BLIS, declared here: Debian ships cblas.h only inside the threaded
// variants' include folders, while we link the serial library.
extern "C" void cblas_sgemm(int order, int transA, int transB, int M, int N, int K, float alpha,
                            const float* A, int lda, const float* B, int ldb, float beta, float* C,
                            int ldc);
#endif

namespace ll {

namespace {

#ifdef LAYERLENS_HAVE_BLIS
constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;  // CBLAS enum values

// BLIS 0.9 does not recognize recent AMD CPUs and falls back to its slow generic kernels. Any
// CPU with AVX-512 F/DQ/BW/VL runs the Skylake-X kernels, so pick them (index 0 of BLIS's
// arch_t) before BLIS initializes, unless the user chose with BLIS_ARCH_TYPE.
bool chooseBlisArch() {
    if (std::getenv("BLIS_ARCH_TYPE")) return false;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) {
        setenv("BLIS_ARCH_TYPE", "0", 0);
        return true;
    }
    return false;
}
const bool kSkx = chooseBlisArch();
#endif

}  // namespace

void sgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
           const float* B, int ldb, float beta, float* C, int ldc) {
    const IsaKernels& eigen = isaKernels();
#ifdef LAYERLENS_HAVE_BLIS
    // BLIS packs every operand; below ~4M multiply-adds (LeNet's first layer) Eigen is faster
    // when it runs AVX or wider (the build's own Eigen, or a copy chosen at run time:
    // isa_kernels.h). SSE-only, it is 2–3× slower than BLIS at any size.
    constexpr long long kBlisFrom = 1LL << 22;
    if (!isaKernelsWideEigen() || static_cast<long long>(M) * N * K >= kBlisFrom) {
        cblas_sgemm(kRowMajor, transA ? kTrans : kNoTrans, transB ? kTrans : kNoTrans, M, N, K,
                    alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
#endif
    eigen.gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void sgemmPacked(bool transA, bool transB, int M, int N, int K, float alpha, const float* A,
                 int lda, const float* B, int ldb, float beta, float* C, int ldc) {
#ifdef LAYERLENS_HAVE_BLIS
    cblas_sgemm(kRowMajor, transA ? kTrans : kNoTrans, transB ? kTrans : kNoTrans, M, N, K, alpha,
                A, lda, B, ldb, beta, C, ldc);
#else
    sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
}

void sgemmParallel(bool transA, bool transB, int M, int N, int K, float alpha, const float* A,
                   int lda, const float* B, int ldb, float beta, float* C, int ldc) {
    // Split the longer side of C: each part packs all of one operand and its share of the other,
    // so the larger operand is the one shared out.
    const bool rows = M >= N;
    const int L = rows ? M : N;
    const bool big = static_cast<std::int64_t>(M) * N * K >= kParallelMinWork && L >= numThreads();
    parallelParts(L, big, [&](int i0, int i1) {
        if (rows) {  // row m of op(A) is row m of A, or column m when A is transposed
            const float* a = transA ? A + i0 : A + static_cast<std::size_t>(i0) * lda;
            sgemm(transA, transB, i1 - i0, N, K, alpha, a, lda, B, ldb, beta,
                  C + static_cast<std::size_t>(i0) * ldc, ldc);
        } else {  // column n of op(B) is column n of B, or row n when B is transposed
            const float* b = transB ? B + static_cast<std::size_t>(i0) * ldb : B + i0;
            sgemm(transA, transB, M, i1 - i0, K, alpha, A, lda, b, ldb, beta, C + i0, ldc);
        }
    });
}

const char* gemmBackend() {
#ifdef LAYERLENS_HAVE_BLIS
    return kSkx ? "blis (skx kernels)" : "blis";
#else
    return "eigen";
#endif
}

}  // namespace ll
