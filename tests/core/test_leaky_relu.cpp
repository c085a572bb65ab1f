#include "support/check.h"
#include "support/model_round_trip.h"

#include "core/layers/leaky_relu.h"

namespace ll {

// Golden values from PyTorch 1.13 (torch.nn.functional.leaky_relu, backward with dy = 3): the
// derivative at 0 is the slope.
TEST(LeakyReLU, GoldenForwardBackwardDefaultSlope) {
    LeakyReLU r;
    EXPECT_FLOAT_EQ(r.slope(), 0.01f);
    Tensor x({1, 3}, {-2, 0, 1.5f}), y, dx;
    r.forward(x, y, Mode::Train);
    EXPECT_FLOAT_EQ(y[0], -0.0199999996f);
    EXPECT_EQ(y[1], 0.0f);
    EXPECT_EQ(y[2], 1.5f);
    r.backward(x, y, Tensor({1, 3}, 3.0f), &dx);
    EXPECT_FLOAT_EQ(dx[0], 0.0299999993f);
    EXPECT_FLOAT_EQ(dx[1], 0.0299999993f);  // at the kink: the slope
    EXPECT_EQ(dx[2], 3.0f);
}

TEST(LeakyReLU, GoldenForwardBackwardSlope) {
    LeakyReLU r(0.2f);
    Tensor x({1, 3}, {-2, 0, 1.5f}), y, dx;
    r.forward(x, y, Mode::Train);
    EXPECT_FLOAT_EQ(y[0], -0.400000006f);
    EXPECT_EQ(y[2], 1.5f);
    r.backward(x, y, Tensor({1, 3}, 3.0f), &dx);
    EXPECT_FLOAT_EQ(dx[0], 0.600000024f);
    EXPECT_FLOAT_EQ(dx[1], 0.600000024f);
    EXPECT_EQ(dx[2], 3.0f);
}

TEST(LeakyReLU, Gradients) {
    LeakyReLU def;
    test::expectGradientsMatch(def, {2, 3, 4, 4});
    LeakyReLU steep(-0.7f);  // any finite slope, a negative one too
    test::expectGradientsMatch(steep, {4, 6});
}

TEST(LeakyReLU, SlopeIsReadUsedDescribedAndWrittenWhenNotDefault) {
    Net net = buildNet(
        R"({"input": [4], "layers": [{"type": "LeakyReLU", "name": "act", "slope": 0.25}]})");
    auto& l = dynamic_cast<LeakyReLU&>(net.layer(0));
    EXPECT_EQ(l.slope(), 0.25f);
    EXPECT_EQ(l.describe(), "slope=0.25");
    const Tensor& y = net.forward(Tensor({1, 4}, {-4, -1, 0, 2}), Mode::Eval);
    EXPECT_EQ(y.values(), (std::vector<float>{-1, -0.25f, 0, 2}));

    const nlohmann::json node =
        test::expectModelRoundTrip(R"({"type": "LeakyReLU", "slope": 0.2})");
    EXPECT_EQ(node.at("type"), "LeakyReLU");
    EXPECT_EQ(node.at("name"), "lrelu1");
    EXPECT_EQ(test::keysOf(node), (std::set<std::string>{"name", "slope", "type"}));
    EXPECT_EQ(node.at("slope").get<float>(), 0.2f);
}

TEST(LeakyReLU, DefaultSlopeIsNotWritten) {
    EXPECT_EQ(LeakyReLU().describe(), "slope=0.01");
    const nlohmann::json node = test::expectModelRoundTrip(R"({"type": "LeakyReLU"})");
    EXPECT_EQ(test::keysOf(node), (std::set<std::string>{"name", "type"}));
    // A file that spells the default out is written back without it.
    const nlohmann::json spelled =
        test::expectModelRoundTrip(R"({"type": "LeakyReLU", "slope": 0.01})");
    EXPECT_EQ(test::keysOf(spelled), (std::set<std::string>{"name", "type"}));
}

TEST(LeakyReLU, BadKeysAreModelErrors) {
    test::expectUnknownKeyRefused("LeakyReLU");
    try {
        buildNet(R"({"input": [4], "layers": [{"type": "LeakyReLU", "slope": "steep"}]})");
        ADD_FAILURE() << "a string slope was accepted";
    } catch (const ModelError& e) {
        EXPECT_NE(std::string(e.what()).find("\"slope\" must be a number"), std::string::npos)
            << e.what();
    }
}

}  // namespace ll
