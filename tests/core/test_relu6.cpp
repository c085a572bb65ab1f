#include "support/check.h"
#include "support/model_round_trip.h"

#include "core/layers/relu6.h"

namespace ll {

// Golden values from PyTorch 1.13 (torch.nn.functional.relu6, backward with dy = 2): the
// derivative is 0 at both kinks, 0 and 6.
TEST(ReLU6, GoldenForwardBackwardAndKinks) {
    ReLU6 r;
    Tensor x({1, 5}, {-1, 0, 3, 6, 7}), y, dx;
    r.forward(x, y, Mode::Train);
    EXPECT_EQ(y.values(), (std::vector<float>{0, 0, 3, 6, 6}));
    r.backward(x, y, Tensor({1, 5}, 2.0f), &dx);
    EXPECT_EQ(dx.values(), (std::vector<float>{0, 0, 2, 0, 0}));
}

TEST(ReLU6, Gradients) {
    ReLU6 r;
    test::expectGradientsMatch(r, {2, 3, 4, 4});
}

TEST(ReLU6, CostIsOneEvaluationPerElement) {
    const LayerCost c = ReLU6().cost({{1, 3, 4, 4}}, {1, 3, 4, 4});
    EXPECT_EQ(c.activations, 48);
    EXPECT_EQ(c.multiplications + c.elementwise + c.weights, 0);
}

TEST(ReLU6, ModelFileRoundTrip) {
    const nlohmann::json node = test::expectModelRoundTrip(R"({"type": "ReLU6"})");
    EXPECT_EQ(node.at("type"), "ReLU6");
    EXPECT_EQ(node.at("name"), "relu1");
    EXPECT_EQ(test::keysOf(node), (std::set<std::string>{"name", "type"}));
    test::expectUnknownKeyRefused("ReLU6");
}

}  // namespace ll
