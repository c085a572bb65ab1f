#include "support/check.h"

#include <cmath>

#include "core/kernels.h"
#include "core/layers/batch_norm.h"
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

// The fast kernels sum batch-norm statistics and gradients in 8 double lanes; the reference in
// written order. On activations far from zero (where a float sum would lose digits) both agree
// (the sums are doubles; the float results rarely differ in the last bit), each is
// deterministic, and the gradient check passes with either.
TEST(BatchNorm, FastAndReferenceSumsAgree) {
    Rng rng(3);
    Tensor x({5, 3, 7, 9});  // odd sizes: the lanes' remainder loops run
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

}  // namespace ll
