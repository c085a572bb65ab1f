#include "support/check.h"
#include "support/model_round_trip.h"

#include "core/layers/hard_sigmoid.h"

namespace ll {

// Golden values from PyTorch 1.13 (torch.nn.functional.hardsigmoid, backward with dy = 2): the
// derivative is 0 at both kinks, −3 and 3.
TEST(HardSigmoid, GoldenForwardBackwardAndKinks) {
    HardSigmoid h;
    Tensor x({1, 6}, {-4, -3, 0, 1.5f, 3, 4}), y, dx;
    h.forward(x, y, Mode::Train);
    EXPECT_EQ(y.values(), (std::vector<float>{0, 0, 0.5f, 0.75f, 1, 1}));
    h.backward(x, y, Tensor({1, 6}, 2.0f), &dx);
    EXPECT_EQ(dx[0], 0.0f);
    EXPECT_EQ(dx[1], 0.0f);  // at −3
    EXPECT_FLOAT_EQ(dx[2], 0.333333343f);
    EXPECT_FLOAT_EQ(dx[3], 0.333333343f);
    EXPECT_EQ(dx[4], 0.0f);  // at 3
    EXPECT_EQ(dx[5], 0.0f);
}

TEST(HardSigmoid, Gradients) {
    HardSigmoid h;
    test::expectGradientsMatch(h, {2, 3, 4, 4});
}

TEST(HardSigmoid, ModelFileRoundTrip) {
    const nlohmann::json node = test::expectModelRoundTrip(R"({"type": "HardSigmoid"})");
    EXPECT_EQ(node.at("type"), "HardSigmoid");
    EXPECT_EQ(node.at("name"), "hsig1");
    EXPECT_EQ(test::keysOf(node), (std::set<std::string>{"name", "type"}));
    test::expectUnknownKeyRefused("HardSigmoid");
}

}  // namespace ll
