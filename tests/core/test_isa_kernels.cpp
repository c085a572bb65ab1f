// The kernels compiled for AVX2 and AVX-512 (core/isa_kernels.h) against the build's own copy,
// on odd sizes: the same functions, so equal within the rounding of fused multiply-adds and of
// Eigen's other blocking.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/isa.h"
#include "core/isa_kernels.h"
#include "core/random.h"

namespace ll {
namespace {

std::vector<float> randomFloats(Rng& rng, int n, float lo = -2.0f, float hi = 2.0f) {
    std::vector<float> v(static_cast<std::size_t>(n));
    for (float& x : v)
        x = rng.uniform(lo, hi);
    return v;
}

// The copies this CPU runs, other than the build's own.
std::vector<const IsaKernels*> wideCopies() {
    std::vector<const IsaKernels*> out;
#if defined(LAYERLENS_TEST_ISA_COPIES)
    if (cpuSupports(Isa::Avx2)) out.push_back(&isa_avx2::kKernels);
    if (cpuSupports(Isa::Avx512)) out.push_back(&isa_avx512::kKernels);
#endif
    return out;
}

void expectClose(const std::vector<float>& got, const std::vector<float>& want, float rel,
                 const char* what) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i)
        ASSERT_NEAR(got[i], want[i], rel * (1.0f + std::fabs(want[i]))) << what << " at " << i;
}

TEST(IsaKernels, EachCopyComputesWhatTheBuildsOwnDoes) {
    const std::vector<const IsaKernels*> copies = wideCopies();
    if (copies.empty())
        GTEST_SKIP() << "this CPU runs no AVX2 or AVX-512 copy (or the build has none)";
    const IsaKernels& ref = isa_baseline::kKernels;
    Rng rng(11);
    for (const IsaKernels* k : copies) {
        SCOPED_TRACE(k->name);
        // Products: every transpose, odd sizes, leading dimensions wider than the rows, the
        // three kinds of beta.
        for (int t = 0; t < 4; ++t) {
            const bool ta = t & 1, tb = t & 2;
            const int M = 7, N = 13, K = 37;
            const int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 2, ldc = N + 1;
            const std::vector<float> A = randomFloats(rng, (ta ? K : M) * lda);
            const std::vector<float> B = randomFloats(rng, (tb ? N : K) * ldb);
            for (float beta : {0.0f, 1.0f, 0.5f}) {
                std::vector<float> C = randomFloats(rng, M * ldc), want = C;
                k->gemm(ta, tb, M, N, K, 0.75f, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
                ref.gemm(ta, tb, M, N, K, 0.75f, A.data(), lda, B.data(), ldb, beta, want.data(),
                         ldc);
                expectClose(C, want, 1e-4f, "gemm");  // 37 products per sum
            }
        }
        const int n = 1003;  // not a multiple of any vector width
        const std::vector<float> x = randomFloats(rng, n, -6.0f, 6.0f);
        std::vector<float> y(n), want(n);
        k->tanh(x.data(), y.data(), n);
        ref.tanh(x.data(), want.data(), n);
        expectClose(y, want, 1e-6f, "tanh");
        EXPECT_NEAR(y[0], std::tanh(x[0]), 1e-6f);
        const std::vector<float> dy = randomFloats(rng, n);
        std::vector<float> dx(n), wantDx(n);
        k->tanhGrad(y.data(), dy.data(), dx.data(), n);
        ref.tanhGrad(y.data(), dy.data(), wantDx.data(), n);
        expectClose(dx, wantDx, 1e-6f, "tanh gradient");
        // Adam: two steps from the same state.
        std::vector<float> theta = randomFloats(rng, n), m(n, 0.0f), v(n, 0.0f);
        std::vector<float> theta2 = theta, m2 = m, v2 = v;
        for (int step = 0; step < 2; ++step) {
            const std::vector<float> g = randomFloats(rng, n);
            k->adamStep(theta.data(), m.data(), v.data(), g.data(), n, 0.9f, 0.999f, 0.01f, 0.03f,
                        1e-8f);
            ref.adamStep(theta2.data(), m2.data(), v2.data(), g.data(), n, 0.9f, 0.999f, 0.01f,
                         0.03f, 1e-8f);
        }
        expectClose(theta, theta2, 1e-6f, "adam θ");
        expectClose(m, m2, 1e-6f, "adam m");
        expectClose(v, v2, 1e-6f, "adam v");
        // Batch norm: the lanes in double, the element-wise passes in float.
        double acc[kBnLanes] = {}, want8[kBnLanes] = {};
        k->bnSum(acc, x.data(), n);
        ref.bnSum(want8, x.data(), n);
        for (int j = 0; j < kBnLanes; ++j)
            EXPECT_EQ(acc[j], want8[j]) << "lane " << j;  // float to double: exact
        double s1[kBnLanes] = {}, s2[kBnLanes] = {}, wantS1[kBnLanes] = {}, wantS2[kBnLanes] = {};
        k->bnMoments(s1, s2, x.data(), n, -0.75);
        ref.bnMoments(wantS1, wantS2, x.data(), n, -0.75);
        for (int j = 0; j < kBnLanes; ++j) {
            EXPECT_NEAR(s1[j], wantS1[j], 1e-12 * (1.0 + std::fabs(wantS1[j])));
            EXPECT_NEAR(s2[j], wantS2[j], 1e-12 * (1.0 + std::fabs(wantS2[j])));
        }
        // Lane j holds the terms j, j + kBnLanes, ...: hand-summed for lane 1.
        double lane1 = 0.0, lane1Sq = 0.0;
        for (int i = 1; i < n; i += kBnLanes) {
            lane1 += static_cast<double>(x[static_cast<std::size_t>(i)]) + 0.75;
            lane1Sq +=
                (x[static_cast<std::size_t>(i)] + 0.75) * (x[static_cast<std::size_t>(i)] + 0.75);
        }
        EXPECT_NEAR(s1[1], lane1, 1e-12 * (1.0 + std::fabs(lane1)));
        EXPECT_NEAR(s2[1], lane1Sq, 1e-12 * (1.0 + lane1Sq));
        double pr[kBnLanes] = {}, wantPr[kBnLanes] = {};
        k->bnProducts(pr, dy.data(), x.data(), n, 0.25f, 1.5f);
        ref.bnProducts(wantPr, dy.data(), x.data(), n, 0.25f, 1.5f);
        for (int j = 0; j < kBnLanes; ++j) {
            EXPECT_NEAR(pr[j], wantPr[j], 1e-6 * (1.0 + std::fabs(wantPr[j])));
        }
        std::vector<float> out(n), wantOut(n);
        k->bnAffine(x.data(), out.data(), n, 1.25f, -0.5f);
        ref.bnAffine(x.data(), wantOut.data(), n, 1.25f, -0.5f);
        expectClose(out, wantOut, 1e-6f, "bn affine");
        k->bnTrainGrad(x.data(), dy.data(), out.data(), n, 0.25f, 1.5f, 0.8f, 0.1f, -0.2f);
        ref.bnTrainGrad(x.data(), dy.data(), wantOut.data(), n, 0.25f, 1.5f, 0.8f, 0.1f, -0.2f);
        expectClose(out, wantOut, 1e-6f, "bn gradient");
        // Depthwise correlation: a padded 13×21 plane, walks with every kind of step.
        const int rows = 13, ld = 21;
        const std::vector<float> plane = randomFloats(rng, rows * ld);
        const std::vector<float> w = randomFloats(rng, 25);
        struct Walked {
            DepthwiseWalk walk;
            int Ho, Wo;
        };
        const Walked walks[] = {
            {{3, 3, 1, 1, 1, 1, ld}, 11, 19},                                   // unit steps
            {{5, 5, 1, 1, 1, 1, ld}, 9, 17},  {{3, 3, 2, 1, 1, 1, ld}, 6, 19},  // unit columns
            {{3, 3, 2, 2, 1, 1, ld}, 6, 10},                                    // any
            {{3, 3, 1, 1, 2, 2, ld}, 9, 17},                                    // dilated
            {{2, 3, 1, 1, 1, 1, ld}, 12, 19},  // neither 3×3 nor 5×5
        };
        for (const Walked& c : walks) {
            for (bool accumulate : {false, true}) {
                std::vector<float> got = randomFloats(rng, c.Ho * c.Wo), want2 = got;
                k->depthwiseCorrelate(plane.data(), c.walk, w.data(), c.Ho, c.Wo, 0.5f, accumulate,
                                      got.data());
                ref.depthwiseCorrelate(plane.data(), c.walk, w.data(), c.Ho, c.Wo, 0.5f, accumulate,
                                       want2.data());
                expectClose(got, want2, 1e-5f, "depthwise correlation");
            }
        }
    }
}

// Where a buffer lies changes no bit: Eigen's scalar code (which it runs on the elements before
// its first aligned packet) has another tanh and square root than its packets, so the kernels
// must not let alignment choose. Training repeats bit for bit only if this holds.
TEST(IsaKernels, ResultsDoNotDependOnTheBuffersAlignment) {
    std::vector<const IsaKernels*> copies = wideCopies();
    copies.push_back(&isa_baseline::kKernels);
    Rng rng(12);
    const int n = 301;
    const std::vector<float> x = randomFloats(rng, n, -4.0f, 4.0f);
    const std::vector<float> g = randomFloats(rng, n, -0.01f, 0.01f);
    for (const IsaKernels* k : copies) {
        SCOPED_TRACE(k->name);
        std::vector<float> wantY, wantTheta;
        for (int offset = 0; offset < 17; ++offset) {  // 4-byte steps past a 64-byte boundary
            std::vector<float> buf(4 * (n + 64));
            auto at = [&buf, offset](int stream) {
                float* p = buf.data() + stream * (n + 64);
                p += (64 - reinterpret_cast<std::uintptr_t>(p) % 64) % 64 / sizeof(float);
                return p + offset;
            };
            float *in = at(0), *out = at(1);
            std::copy(x.begin(), x.end(), in);
            k->tanh(in, out, n);
            std::vector<float> y(out, out + n);
            // Adam on θ = x, m = v = 0.1, gradient g: the square root of v.
            float *theta = at(0), *m = at(1), *v = at(2), *grad = at(3);
            std::copy(x.begin(), x.end(), theta);
            std::fill(m, m + n, 0.1f);
            std::fill(v, v + n, 0.1f);
            std::copy(g.begin(), g.end(), grad);
            k->adamStep(theta, m, v, grad, n, 0.9f, 0.999f, 0.01f, 0.03f, 1e-8f);
            std::vector<float> t(theta, theta + n);
            if (offset == 0) {
                wantY = y;
                wantTheta = t;
                continue;
            }
            ASSERT_EQ(y, wantY) << "tanh at offset " << offset;
            ASSERT_EQ(t, wantTheta) << "adam at offset " << offset;
        }
    }
}

// The copy chosen is one this CPU runs, and the widest one when it is wider than the build's own.
TEST(IsaKernels, TheChosenCopyRunsOnThisCpu) {
    const Isa isa = kernelIsa();
    EXPECT_TRUE(cpuSupports(isa)) << isaName(isa);
    const IsaKernels& k = isaKernels();
    if (&k == &isa_baseline::kKernels) return;
    EXPECT_STREQ(k.name, isaName(isa));
    EXPECT_TRUE(isaKernelsWideEigen());
}

}  // namespace
}  // namespace ll
