#include "support/check.h"
#include "support/model_round_trip.h"

#include "core/layers/silu.h"

namespace ll {

// Golden values from PyTorch 1.13 (torch.nn.functional.silu, backward with dy = 2).
TEST(SiLU, GoldenForwardBackward) {
    SiLU s;
    Tensor x({1, 5}, {-2, 0, 1, 3, -30}), y, dx;
    s.forward(x, y, Mode::Train);
    EXPECT_FLOAT_EQ(y[0], -0.238405839f);
    EXPECT_EQ(y[1], 0.0f);
    EXPECT_FLOAT_EQ(y[2], 0.731058598f);
    EXPECT_FLOAT_EQ(y[3], 2.85772252f);
    EXPECT_FLOAT_EQ(y[4], -2.80728695e-12f);
    s.backward(x, y, Tensor({1, 5}, 2.0f), &dx);
    EXPECT_FLOAT_EQ(dx[0], -0.181568503f);
    EXPECT_FLOAT_EQ(dx[1], 1.0f);  // σ(0) = 1/2, times dy
    EXPECT_FLOAT_EQ(dx[2], 1.85534108f);
    EXPECT_FLOAT_EQ(dx[3], 2.17620826f);
    EXPECT_FLOAT_EQ(dx[4], -5.42742153e-12f);
}

TEST(SiLU, ExtremeInputsStayFinite) {
    SiLU s;
    Tensor x({1, 2}, {-1e4f, 1e4f}), y, dx;
    s.forward(x, y, Mode::Eval);
    EXPECT_EQ(y[0], 0.0f);
    EXPECT_EQ(y[1], 1e4f);
    s.backward(x, y, Tensor({1, 2}, 1.0f), &dx);
    EXPECT_EQ(dx[0], 0.0f);
    EXPECT_EQ(dx[1], 1.0f);
}

TEST(SiLU, Gradients) {
    SiLU s;
    test::expectGradientsMatch(s, {2, 3, 4, 4});
}

TEST(SiLU, ModelFileRoundTrip) {
    const nlohmann::json node = test::expectModelRoundTrip(R"({"type": "SiLU"})");
    EXPECT_EQ(node.at("type"), "SiLU");
    EXPECT_EQ(node.at("name"), "silu1");
    EXPECT_EQ(test::keysOf(node), (std::set<std::string>{"name", "type"}));
    test::expectUnknownKeyRefused("SiLU");
}

}  // namespace ll
