#include "support/check.h"
#include "support/model_round_trip.h"

#include "core/layers/gelu.h"

namespace ll {

// Golden values from PyTorch 1.13 in float64 (torch.nn.functional.gelu, approximate="none",
// backward with dy = 2). Its float32 results carry the cancellation of 1 + erf: −0.0455000997
// at −2 where the value is −0.0455002639, an error of 1.6e-7 the tolerance would allow.
TEST(GELU, GoldenForwardBackward) {
    GELU g;
    Tensor x({1, 5}, {-2, -0.5f, 0, 1, 3}), y, dx;
    g.forward(x, y, Mode::Train);
    const double tol = 5e-7;  // a few float ulps at these magnitudes
    EXPECT_NEAR(y[0], -0.045500263896358417, tol);
    EXPECT_NEAR(y[1], -0.15426876936299344, tol);
    EXPECT_EQ(y[2], 0.0f);
    EXPECT_NEAR(y[3], 0.84134474606854304, tol);
    EXPECT_NEAR(y[4], 2.9959503059051098, tol);
    g.backward(x, y, Tensor({1, 5}, 2.0f), &dx);
    EXPECT_NEAR(dx[0], -0.17046360215639383, tol);
    EXPECT_NEAR(dx[1], 0.26500975068767424, tol);
    EXPECT_FLOAT_EQ(dx[2], 1.0f);  // Φ(0) = 1/2, times dy
    EXPECT_NEAR(dx[3], 2.1666309411753728, tol);
    EXPECT_NEAR(dx[4], 2.0238912944083678, tol);
}

// Φ is evaluated as erfc(−x/√2)/2, so the left tail keeps its digits where 1 + erf(x/√2)
// cancels to 0 (PyTorch 1.13 returns −0 for GELU(−10), even in double). Exact values from
// Python's math.erfc in double.
TEST(GELU, LeftTailIsNotCancelled) {
    GELU g;
    Tensor x({1, 3}, {-10, -1e4f, 1e4f}), y, dx;
    g.forward(x, y, Mode::Eval);
    EXPECT_NEAR(y[0], -7.619853024160593e-23, 1e-27);  // 1e-5 relative
    EXPECT_LT(y[0], 0.0f);
    EXPECT_EQ(y[1], 0.0f);
    EXPECT_EQ(y[2], 1e4f);
    g.backward(x, y, Tensor({1, 3}, 1.0f), &dx);
    EXPECT_NEAR(dx[0], -7.618400096464813e-22, 1e-26);
    EXPECT_EQ(dx[1], 0.0f);
    EXPECT_EQ(dx[2], 1.0f);
    EXPECT_TRUE(dx.allFinite());
}

TEST(GELU, Gradients) {
    GELU g;
    test::expectGradientsMatch(g, {2, 3, 4, 4});
}

TEST(GELU, ModelFileRoundTrip) {
    const nlohmann::json node = test::expectModelRoundTrip(R"({"type": "GELU"})");
    EXPECT_EQ(node.at("type"), "GELU");
    EXPECT_EQ(node.at("name"), "gelu1");
    EXPECT_EQ(test::keysOf(node), (std::set<std::string>{"name", "type"}));
    test::expectUnknownKeyRefused("GELU");
}

}  // namespace ll
