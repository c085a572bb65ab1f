#include "support/check.h"

#include "core/layers/tanh.h"

namespace ll {

TEST(Tanh, Golden) {
    Tanh t;
    Tensor x({1, 3}, {0, 1, -1}), y, dx;
    t.forward(x, y, Mode::Eval);
    EXPECT_FLOAT_EQ(y[0], 0.0f);
    EXPECT_NEAR(y[1], 0.7615941559557649, 1e-7);
    t.backward(x, y, Tensor({1, 3}, {1, 1, 1}), &dx);
    EXPECT_NEAR(dx[1], 1 - 0.7615941559557649 * 0.7615941559557649, 1e-6);
}

TEST(Tanh, Gradients) {
    Tanh t;
    test::expectGradientsMatch(t, {2, 2, 3, 3});
}

}  // namespace ll
