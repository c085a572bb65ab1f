#include "support/check.h"

#include "core/layers/sigmoid.h"

namespace ll {

TEST(Sigmoid, GoldenAndExtremeValues) {
    Sigmoid s;
    Tensor x({1, 4}, {0, 2, -100, 100}), y;
    s.forward(x, y, Mode::Eval);
    EXPECT_FLOAT_EQ(y[0], 0.5f);
    EXPECT_NEAR(y[1], 0.8807970779778823, 1e-7);
    EXPECT_GE(y[2], 0.0f);
    EXPECT_LT(y[2], 1e-40f + 1e-38f);
    EXPECT_FLOAT_EQ(y[3], 1.0f);
    EXPECT_TRUE(y.allFinite());
}

TEST(Sigmoid, Gradients) {
    Sigmoid s;
    test::expectGradientsMatch(s, {4, 6});
}

}  // namespace ll
