#include "support/check.h"
#include "support/model_round_trip.h"

#include "core/layers/hard_swish.h"

namespace ll {

// Golden values from PyTorch 1.13 (torch.nn.functional.hardswish, backward with dy = 2).
// PyTorch's derivative is x/3 + 1/2 on the closed interval [−3, 3]: at −3 it is −1/2 (the
// slope from the right; from the left it is 0) and at 3 it is 3/2 (from the left; 1 from the
// right) — neither 0 nor the mean of the one-sided slopes.
TEST(HardSwish, GoldenForwardBackwardAndKinks) {
    HardSwish h;
    Tensor x({1, 7}, {-4, -3, -1, 0, 1.5f, 3, 4}), y, dx;
    h.forward(x, y, Mode::Train);
    EXPECT_EQ(y[0], 0.0f);
    EXPECT_EQ(y[1], 0.0f);
    EXPECT_FLOAT_EQ(y[2], -0.333333343f);
    EXPECT_EQ(y[3], 0.0f);
    EXPECT_FLOAT_EQ(y[4], 1.125f);
    EXPECT_FLOAT_EQ(y[5], 3.0f);
    EXPECT_FLOAT_EQ(y[6], 4.0f);
    h.backward(x, y, Tensor({1, 7}, 2.0f), &dx);
    EXPECT_EQ(dx[0], 0.0f);
    EXPECT_FLOAT_EQ(dx[1], -1.0f);  // at −3: 2 · (−3/3 + 1/2)
    EXPECT_FLOAT_EQ(dx[2], 0.333333313f);
    EXPECT_FLOAT_EQ(dx[3], 1.0f);
    EXPECT_FLOAT_EQ(dx[4], 2.0f);
    EXPECT_FLOAT_EQ(dx[5], 3.0f);  // at 3: 2 · (3/3 + 1/2)
    EXPECT_FLOAT_EQ(dx[6], 2.0f);
}

TEST(HardSwish, Gradients) {
    HardSwish h;
    test::expectGradientsMatch(h, {2, 3, 4, 4});
}

TEST(HardSwish, ModelFileRoundTrip) {
    const nlohmann::json node = test::expectModelRoundTrip(R"({"type": "HardSwish"})");
    EXPECT_EQ(node.at("type"), "HardSwish");
    EXPECT_EQ(node.at("name"), "hswish1");
    EXPECT_EQ(test::keysOf(node), (std::set<std::string>{"name", "type"}));
    test::expectUnknownKeyRefused("HardSwish");
}

}  // namespace ll
