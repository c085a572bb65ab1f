#include "support/check.h"

#include "core/layers/linear.h"

namespace ll {

TEST(Linear, GoldenForward) {
    Linear fc(3, 2);
    fc.weight().value = Tensor({2, 3}, {1, 2, 3, -1, 0, 1});
    fc.bias().value = Tensor({2}, {0.5f, -0.5f});
    Tensor x({2, 3}, {1, 1, 1, 2, 0, -1}), y;
    fc.forward(x, y, Mode::Eval);
    ASSERT_EQ(y.shape(), Shape({2, 2}));
    EXPECT_FLOAT_EQ(y[0], 6.5f);   // 1+2+3 + 0.5
    EXPECT_FLOAT_EQ(y[1], -0.5f);  // -1+0+1 - 0.5
    EXPECT_FLOAT_EQ(y[2], -0.5f);  // 2+0-3 + 0.5
    EXPECT_FLOAT_EQ(y[3], -3.5f);  // -2+0-1 - 0.5
}

TEST(Linear, Gradients) {
    Linear fc(7, 5);
    test::expectGradientsMatch(fc, {3, 7});
    Linear noBias(4, 3, false);
    test::expectGradientsMatch(noBias, {1, 4});
    EXPECT_EQ(noBias.params().size(), 1u);
}

TEST(Linear, WrongWidthNamesLayerAndShapes) {
    Linear fc(400, 120);
    fc.setName("f5");
    Tensor x({16, 300}), y;
    try {
        fc.forward(x, y, Mode::Train);
        FAIL() << "expected ShapeError";
    } catch (const ShapeError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("'f5'"), std::string::npos) << msg;
        EXPECT_NE(msg.find("400"), std::string::npos) << msg;
        EXPECT_NE(msg.find("(16, 300)"), std::string::npos) << msg;
    }
    Tensor img({2, 16, 5, 5});
    EXPECT_THROW(fc.forward(img, y, Mode::Train), ShapeError);
}

TEST(Linear, PyTorchDefaultInitBounds) {
    Linear fc(400, 120);
    Rng rng(1);
    fc.resetParameters(rng);
    const float bound = 1.0f / 20.0f;  // 1/sqrt(400)
    float maxAbs = 0;
    for (std::int64_t i = 0; i < fc.weight().value.numel(); ++i)
        maxAbs = std::max(maxAbs, std::fabs(fc.weight().value[i]));
    EXPECT_LE(maxAbs, bound);
    EXPECT_GT(maxAbs, 0.95f * bound);  // uniform fills the range
    // Variance of U(-b, b) is b²/3.
    EXPECT_NEAR(fc.weight().value.sumSquares() / fc.weight().value.numel(), bound * bound / 3,
                0.05 * bound * bound / 3);
}

}  // namespace ll
