#include "support/check.h"

#include <cmath>

#include "core/kernels.h"
#include "core/layers/batch_norm.h"
#include "core/parallel.h"
#include "core/random.h"

namespace ll {

TEST(BatchNorm, GoldenTrainStepAndRunningStatistics) {
    BatchNorm1d bn(1);
    Tensor x({4, 1}, {1, 2, 3, 4}), y;
    bn.forward(x, y, Mode::Train);
    // mean 2.5, biased variance 1.25: y = (x − 2.5) / sqrt(1.25 + 1e-5).
    const double s = std::sqrt(1.25 + 1e-5);
    EXPECT_NEAR(y[0], -1.5 / s, 1e-6);
    EXPECT_NEAR(y[3], 1.5 / s, 1e-6);
    // Running: 0.9·0 + 0.1·2.5 and 0.9·1 + 0.1·(unbiased 5/3), as PyTorch.
    EXPECT_NEAR(bn.runningMean()[0], 0.25, 1e-7);
    EXPECT_NEAR(bn.runningVar()[0], 0.9 + 0.1 * 5.0 / 3.0, 1e-6);
    // Eval mode uses the running statistics.
    bn.forward(x, y, Mode::Eval);
    EXPECT_NEAR(y[0], (1 - 0.25) / std::sqrt(0.9 + 0.5 / 3 + 1e-5), 1e-6);
}

TEST(BatchNorm, TwoDimensionalStatisticsArePerChannel) {
    BatchNorm2d bn(2);
    Tensor x({2, 2, 1, 2}, {1, 3, 10, 10, 5, 7, 20, 40}), y;
    bn.forward(x, y, Mode::Train);
    // Channel 0 sees {1, 3, 5, 7}: mean 4; channel 1 sees {10, 10, 20, 40}: mean 20.
    EXPECT_NEAR(bn.runningMean()[0], 0.4, 1e-6);
    EXPECT_NEAR(bn.runningMean()[1], 2.0, 1e-6);
    double m0 = y[0] + y[1] + y[4] + y[5];
    EXPECT_NEAR(m0, 0.0, 1e-5);
}

TEST(BatchNorm, GradientsTrainAndEval) {
    BatchNorm1d bn1(5);
    test::expectGradientsMatch(bn1, {6, 5});
    BatchNorm1d bn1l(3);
    test::expectGradientsMatch(bn1l, {4, 3, 2});
    BatchNorm2d bn2(3);
    test::expectGradientsMatch(bn2, {4, 3, 3, 3});
    GradCheckOptions eval;
    eval.mode = Mode::Eval;
    BatchNorm2d bnEval(3);
    Rng rng(3);
    for (int c = 0; c < 3; ++c) {
        bnEval.runningMean()[c] = rng.normal();
        bnEval.runningVar()[c] = 0.5f + rng.uniform();
    }
    test::expectGradientsMatch(bnEval, {2, 3, 2, 2}, eval);
}

TEST(BatchNorm, OneValuePerChannelIsAClearError) {
    BatchNorm1d bn(4);
    Tensor y;
    EXPECT_THROW(bn.forward(Tensor({1, 4}), y, Mode::Train), ShapeError);
    EXPECT_NO_THROW(bn.forward(Tensor({1, 4}), y, Mode::Eval));
    EXPECT_THROW(bn.forward(Tensor({2, 3}), y, Mode::Train), ShapeError);
}

}  // namespace ll

namespace ll {

// The fast kernels sum batch-norm statistics and gradients plane by plane (in 32 double lanes,
// or one for planes under 32 values), the mean and variance in one pass; the reference channel by
// channel in written order, in two. On activations far from zero (where a float sum would lose
// digits) both agree (the sums are doubles; the float results rarely differ in the last bit), each
// is deterministic, and the gradient check passes with either.
class BatchNormSums : public ::testing::TestWithParam<Shape> {};

TEST_P(BatchNormSums, FastAndReferenceSumsAgree) {
    Rng rng(3);
    Tensor x(GetParam());
    for (float& v : x.vector())
        v = 1000.0f + rng.normal();
    Tensor dy(x.shape());
    for (float& v : dy.vector())
        v = rng.normal();
    auto run = [&](KernelSet k, std::vector<float>& y, std::vector<float>& dx,
                   std::vector<float>& grads, std::vector<float>& running) {
        const KernelSetScope scope(k);
        BatchNorm2d bn(3);
        Rng init(1);
        bn.resetParameters(init);
        Tensor out, d;
        bn.forward(x, out, Mode::Train);
        bn.backward(x, out, dy, &d);
        y = out.values();
        dx = d.values();
        grads = bn.gamma().grad.values();
        for (float g : bn.beta().grad.values())
            grads.push_back(g);
        running = bn.runningMean().values();
        for (float v : bn.runningVar().values())
            running.push_back(v);
    };
    std::vector<float> y[3], dx[3], g[3], r[3];
    run(KernelSet::Reference, y[0], dx[0], g[0], r[0]);
    run(KernelSet::Fast, y[1], dx[1], g[1], r[1]);
    run(KernelSet::Fast, y[2], dx[2], g[2], r[2]);
    EXPECT_EQ(y[1], y[2]);  // deterministic
    EXPECT_EQ(dx[1], dx[2]);
    EXPECT_EQ(g[1], g[2]);
    for (std::size_t i = 0; i < y[0].size(); ++i) {
        ASSERT_NEAR(y[1][i], y[0][i], 1e-5f) << i;
        ASSERT_NEAR(dx[1][i], dx[0][i], 1e-5f * (1.0f + std::fabs(dx[0][i]))) << i;
    }
    for (std::size_t i = 0; i < g[0].size(); ++i)
        EXPECT_NEAR(g[1][i], g[0][i], 1e-4f * (1.0f + std::fabs(g[0][i]))) << i;
    for (std::size_t i = 0; i < r[0].size(); ++i)
        EXPECT_NEAR(r[1][i], r[0][i], 1e-4f * std::fabs(r[0][i])) << i;
    for (KernelSet k : {KernelSet::Fast, KernelSet::Reference}) {
        const KernelSetScope scope(k);
        BatchNorm2d bn(2);
        test::expectGradientsMatch(bn, {3, 2, 5, 3});
    }
}

// Planes of 63 values (odd: the lanes' remainder loops run) and of 6 (below kBnLanes: the fast
// set's one-lane loops).
INSTANTIATE_TEST_SUITE_P(Planes, BatchNormSums,
                         ::testing::Values(Shape{5, 3, 7, 9}, Shape{9, 3, 2, 3}));

// The fast set's statistics come from one pass over d = x − K (K the channel's first value):
// on channels whose mean is 10⁶ and 10⁴ times their spread (and one where K is the largest value),
// the running variance must still be the reference set's two-pass one, and the outputs and
// gradients must be the same bits on 1 thread and on 3, in train and eval mode, for tensors above
// the parallel threshold (planes of 1517 values, and of 4).
TEST(BatchNorm, FastOnePassMomentsAndThreads) {
    Rng rng(9);
    const int N = 11, C = 4, S = 37 * 41;  // N·C·S above kParallelMinWork, planes of odd size
    Tensor x({N, C, 37, 41}), dy(x.shape());
    for (int n = 0; n < N; ++n)
        for (int c = 0; c < C; ++c)
            for (int i = 0; i < S; ++i) {
                const float mean = c == 0 ? 1e6f : c == 1 ? -300.0f : 0.5f;
                const float spread = c == 0 ? 1.0f : c == 1 ? 0.03f : 2.0f;
                x[(static_cast<std::int64_t>(n) * C + c) * S + i] = mean + spread * rng.normal();
            }
    x[3 * S] = 1e3f;  // channel 3's first value, K, far above the rest (normals of spread 1)
    for (int n = 0; n < N; ++n)
        for (int i = 0; i < S; ++i)
            if (n + i > 0) x[(static_cast<std::int64_t>(n) * C + 3) * S + i] = rng.normal();
    for (float& v : dy.vector())
        v = rng.normal();
    ASSERT_GE(x.numel(), kParallelMinWork);
    struct Result {
        Tensor y, dx, yEval, dxEval, running;
    };
    auto run = [&](KernelSet k, int threads) {
        const KernelSetScope scope(k);
        const int before = numThreads();
        setNumThreads(threads);
        BatchNorm2d bn(C);
        Rng init(1);
        bn.resetParameters(init);
        Result r;
        bn.forward(x, r.y, Mode::Train);
        bn.backward(x, r.y, dy, &r.dx);
        r.running = Tensor({2 * C});
        for (int c = 0; c < C; ++c) {
            r.running[c] = bn.runningMean()[c];
            r.running[C + c] = bn.runningVar()[c];
        }
        bn.forward(x, r.yEval, Mode::Eval);
        bn.backward(x, r.yEval, dy, &r.dxEval);
        setNumThreads(before);
        return r;
    };
    const Result ref = run(KernelSet::Reference, 2), one = run(KernelSet::Fast, 1),
                 three = run(KernelSet::Fast, 3);
    for (const Tensor Result::*t :
         {&Result::y, &Result::dx, &Result::yEval, &Result::dxEval, &Result::running})
        EXPECT_EQ((one.*t).vector(), (three.*t).vector());
    // Running variances 0.9 + 0.1·var: var 1, 9e-4, 4 and about (1e3)² / (N·S) + 1. Without the
    // shift, channel 0's would keep 13 of double's bits: off by about 1e-4.
    // Planes under 32 values (the one-lane sums), on 1 and 3 threads.
    Tensor small({4100, 4, 2, 2}), smallDy(small.shape());
    for (float& v : small.vector())
        v = 3.0f + rng.normal();
    for (float& v : smallDy.vector())
        v = rng.normal();
    ASSERT_GE(small.numel(), kParallelMinWork);
    Tensor smallOut[2], smallDx[2];
    for (int t = 0; t < 2; ++t) {
        const int before = numThreads();
        setNumThreads(t == 0 ? 1 : 3);
        BatchNorm2d bn(4);
        bn.forward(small, smallOut[t], Mode::Train);
        bn.backward(small, smallOut[t], smallDy, &smallDx[t]);
        setNumThreads(before);
    }
    EXPECT_EQ(smallOut[0].vector(), smallOut[1].vector());
    EXPECT_EQ(smallDx[0].vector(), smallDx[1].vector());
    for (int i = 0; i < 2 * C; ++i)
        EXPECT_NEAR(one.running[i], ref.running[i], 2e-6 * (1.0 + std::fabs(ref.running[i])))
            << (i < C ? "mean of channel " : "variance of channel ") << i % C;
    for (std::int64_t i = 0; i < x.numel(); ++i) {
        // y = a x + b in float: near 10⁶ that rounds to 2 ulps of 10⁶ whatever the statistics.
        const bool far = i / S % C == 0;
        ASSERT_NEAR(one.y[i], ref.y[i], far ? 0.13f : 2e-5f) << i;
        ASSERT_NEAR(one.dx[i], ref.dx[i], 2e-4f * (1.0f + std::fabs(ref.dx[i]))) << i;
    }
}

}  // namespace ll
