#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/gemm.h"
#include "core/parallel.h"
#include "core/random.h"

namespace ll {

using GemmFn = void (*)(bool, bool, int, int, int, float, const float*, int, const float*, int,
                        float, float*, int);

// Every transpose combination, with strides larger than the matrices and beta 0, 1 and 0.5,
// against a plain triple loop in double.
void checkEveryTransposeAndBeta(GemmFn gemm, int M, int N, int K, std::uint64_t seed) {
    Rng rng(seed);
    const int pad = 3;
    for (int ta = 0; ta < 2; ++ta) {
        for (int tb = 0; tb < 2; ++tb) {
            for (float beta : {0.0f, 1.0f, 0.5f}) {
                const int lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
                std::vector<float> A(static_cast<std::size_t>((ta ? K : M) * lda)),
                    B(static_cast<std::size_t>((tb ? N : K) * ldb)),
                    C(static_cast<std::size_t>(M * ldc));
                for (float& v : A)
                    v = rng.uniform(-1, 1);
                for (float& v : B)
                    v = rng.uniform(-1, 1);
                for (float& v : C)
                    v = rng.uniform(-1, 1);
                const std::vector<float> C0 = C;
                gemm(ta, tb, M, N, K, 2.0f, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
                for (int i = 0; i < M; ++i) {
                    for (int j = 0; j < N; ++j) {
                        double s = 0;
                        for (int k = 0; k < K; ++k) {
                            const float a = ta ? A[static_cast<std::size_t>(k * lda + i)]
                                               : A[static_cast<std::size_t>(i * lda + k)];
                            const float b = tb ? B[static_cast<std::size_t>(j * ldb + k)]
                                               : B[static_cast<std::size_t>(k * ldb + j)];
                            s += static_cast<double>(a) * b;
                        }
                        const double want =
                            2.0 * s + beta * C0[static_cast<std::size_t>(i * ldc + j)];
                        ASSERT_NEAR(C[static_cast<std::size_t>(i * ldc + j)], want, 1e-5 * K)
                            << "transA " << ta << " transB " << tb << " beta " << beta << " at "
                            << i << "," << j;
                    }
                    // The padding beyond N columns is never written.
                    for (int j = N; j < ldc; ++j)
                        ASSERT_EQ(C[static_cast<std::size_t>(i * ldc + j)],
                                  C0[static_cast<std::size_t>(i * ldc + j)]);
                }
            }
        }
    }
}

TEST(Gemm, MatchesNaiveProductForEveryTransposeAndBeta) {
    checkEveryTransposeAndBeta(&sgemm, 7, 9, 5, 3);
    EXPECT_NE(std::string(gemmBackend()), "");
}

// Split over two threads by rows (M >= N) and by columns (M < N); large enough to go parallel
// (at least kParallelMinWork multiply-adds), odd sizes so the parts differ.
TEST(Gemm, ParallelSplitsMatchNaiveProduct) {
    setNumThreads(2);
    checkEveryTransposeAndBeta(&sgemmParallel, 71, 33, 37, 5);
    checkEveryTransposeAndBeta(&sgemmParallel, 33, 71, 37, 6);
    checkEveryTransposeAndBeta(&sgemmParallel, 1, 5, 3, 7);  // fewer rows than threads: serial
    setNumThreads(0);
}

// Large enough for the BLIS path (when built with it): one transposed case against the loop.
TEST(Gemm, LargeProductsTakeTheSameResults) {
    Rng rng(4);
    const int M = 64, N = 300, K = 250;  // 4.8M multiply-adds
    std::vector<float> A(static_cast<std::size_t>(K * M)), B(static_cast<std::size_t>(K * N)),
        C(static_cast<std::size_t>(M * N), 0.0f);
    for (float& v : A)
        v = rng.uniform(-1, 1);
    for (float& v : B)
        v = rng.uniform(-1, 1);
    sgemm(true, false, M, N, K, 1.0f, A.data(), M, B.data(), N, 0.0f, C.data(), N);
    for (int i = 0; i < M; i += 7) {
        for (int j = 0; j < N; j += 13) {
            double s = 0;
            for (int k = 0; k < K; ++k)
                s += static_cast<double>(A[static_cast<std::size_t>(k * M + i)]) *
                     B[static_cast<std::size_t>(k * N + j)];
            EXPECT_NEAR(C[static_cast<std::size_t>(i * N + j)], s, 1e-3);
        }
    }
}

}  // namespace ll
