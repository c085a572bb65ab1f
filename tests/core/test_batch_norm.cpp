#include "support/check.h"

#include <cmath>

#include "core/layers/batch_norm.h"

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
