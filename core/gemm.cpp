#include "core/gemm.h"

#include <cstdlib>

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

namespace {

void eigenGemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
               const float* B, int ldb, float beta, float* C, int ldc) {
    using Strided = Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>>;
    Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>> c(C, M, N, Eigen::OuterStride<>(ldc));
    const Strided a(A, transA ? K : M, transA ? M : K, Eigen::OuterStride<>(lda));
    const Strided b(B, transB ? N : K, transB ? K : N, Eigen::OuterStride<>(ldb));
    if (beta == 0.0f) {
        c.setZero();
    } else if (beta != 1.0f) {
        c *= beta;
    }
    if (transA && transB) {
        c.noalias() += alpha * (a.transpose() * b.transpose());
    } else if (transA) {
        c.noalias() += alpha * (a.transpose() * b);
    } else if (transB) {
        c.noalias() += alpha * (a * b.transpose());
    } else {
        c.noalias() += alpha * (a * b);
    }
}

}  // namespace

void sgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
           const float* B, int ldb, float beta, float* C, int ldc) {
#ifdef LAYERLENS_HAVE_BLIS
    // BLIS packs every operand; below ~4M multiply-adds (LeNet's first layer) Eigen is faster.
    if (static_cast<long long>(M) * N * K >= (1LL << 22)) {
        cblas_sgemm(kRowMajor, transA ? kTrans : kNoTrans, transB ? kTrans : kNoTrans, M, N, K,
                    alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
#endif
    eigenGemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

const char* gemmBackend() {
#ifdef LAYERLENS_HAVE_BLIS
    return kSkx ? "blis (skx kernels)" : "blis";
#else
    return "eigen";
#endif
}

}  // namespace ll
