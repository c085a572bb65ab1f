#include "support/check.h"

#include "core/layers/dropout.h"

namespace ll {

TEST(Dropout, TrainDropsAndRescalesEvalIsIdentity) {
    Dropout d(0.25f);
    Rng rng(9);
    d.resetParameters(rng);
    Tensor x({100, 100}, 1.0f), y;
    d.forward(x, y, Mode::Train);
    int zeros = 0;
    double sum = 0;
    for (std::int64_t i = 0; i < y.numel(); ++i) {
        zeros += y[i] == 0.0f;
        if (y[i] != 0.0f) {
            EXPECT_FLOAT_EQ(y[i], 1.0f / 0.75f);
        }
        sum += y[i];
    }
    EXPECT_NEAR(zeros / 10000.0, 0.25, 0.02);
    EXPECT_NEAR(sum / 10000.0, 1.0, 0.03);  // expectation preserved
    d.forward(x, y, Mode::Eval);
    EXPECT_EQ(y.values(), x.values());
}

TEST(Dropout, BackwardUsesTheSameMask) {
    Dropout d(0.5f);
    Tensor x({1, 64}, 2.0f), y, dx;
    d.forward(x, y, Mode::Train);
    d.backward(x, y, Tensor({1, 64}, 1.0f), &dx);
    for (int i = 0; i < 64; ++i)
        EXPECT_FLOAT_EQ(dx[i], y[i] / 2.0f);
}

TEST(Dropout, Gradients) {
    Dropout d(0.3f);
    test::expectGradientsMatch(d, {4, 6});
    EXPECT_THROW(Dropout(1.0f), ModelError);
}

}  // namespace ll
