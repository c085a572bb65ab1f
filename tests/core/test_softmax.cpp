#include "support/check.h"
#include "support/model_round_trip.h"

#include <cmath>

#include "core/layers/softmax.h"

namespace ll {

// Golden values from PyTorch 1.13 (torch.softmax(x, 1) and its backward with the dy below).
TEST(Softmax, GoldenForwardBackwardRows) {
    Softmax s;
    Tensor x({2, 3}, {1, 2, 3, -1, 0, 4}), y, dx;
    s.forward(x, y, Mode::Train);
    const std::vector<float> yt = {0.0900305733f,  0.244728476f,  0.665240943f,
                                   0.00657326262f, 0.0178679805f, 0.975558698f};
    for (int i = 0; i < 6; ++i)
        EXPECT_FLOAT_EQ(y[i], yt[static_cast<std::size_t>(i)]) << i;
    s.backward(x, y, Tensor({2, 3}, {1, 0, 0, 0.5f, -1, 2}), &dx);
    const std::vector<float> dxt = {0.0819250718f,   -0.0220330451f, -0.0598920248f,
                                    -0.00944272894f, -0.0524699688f, 0.0619127862f};
    for (int i = 0; i < 6; ++i)
        EXPECT_NEAR(dx[i], dxt[static_cast<std::size_t>(i)], 1e-7) << i;
}

// Over channels of (N, C, H, W): each pixel is normalized on its own.
TEST(Softmax, GoldenOverChannels) {
    Softmax s;
    Tensor x({1, 2, 1, 2}, {0, 1, 1, 1}), y, dx;
    s.forward(x, y, Mode::Train);
    EXPECT_FLOAT_EQ(y[0], 0.268941432f);
    EXPECT_FLOAT_EQ(y[1], 0.5f);
    EXPECT_FLOAT_EQ(y[2], 0.731058598f);
    EXPECT_FLOAT_EQ(y[3], 0.5f);
    s.backward(x, y, Tensor({1, 2, 1, 2}, {1, 1, 0, 2}), &dx);
    EXPECT_FLOAT_EQ(dx[0], 0.196611941f);
    EXPECT_FLOAT_EQ(dx[1], -0.25f);
    EXPECT_FLOAT_EQ(dx[2], -0.196611941f);
    EXPECT_FLOAT_EQ(dx[3], 0.25f);
}

TEST(Softmax, SumsToOneAlongDimensionOne) {
    Softmax s;
    Tensor x({3, 5, 2, 3}), y;
    Rng rng(11);
    for (std::int64_t i = 0; i < x.numel(); ++i)
        x[i] = 4.0f * rng.normal();
    s.forward(x, y, Mode::Eval);
    for (int n = 0; n < 3; ++n)
        for (int p = 0; p < 6; ++p) {
            double sum = 0.0;
            for (int c = 0; c < 5; ++c) {
                const float v = y[(n * 5 + c) * 6 + p];
                EXPECT_GT(v, 0.0f);
                sum += v;
            }
            EXPECT_NEAR(sum, 1.0, 1e-6) << "sample " << n << " position " << p;
        }
}

TEST(Softmax, HugeLogitsStayFinite) {
    Softmax s;
    Tensor x({2, 3}, {1e4f, -1e4f, 0, -1e4f, -1e4f, -1e4f}), y, dx;
    s.forward(x, y, Mode::Eval);
    EXPECT_TRUE(y.allFinite());
    EXPECT_EQ(y[0], 1.0f);
    EXPECT_EQ(y[1], 0.0f);
    EXPECT_EQ(y[2], 0.0f);
    for (int c = 3; c < 6; ++c)
        EXPECT_FLOAT_EQ(y[c], 1.0f / 3.0f);  // a tie at −1e4: uniform
    s.backward(x, y, Tensor({2, 3}, {1, 2, 3, 1, 2, 3}), &dx);
    EXPECT_TRUE(dx.allFinite());
    EXPECT_EQ(dx[0], 0.0f);                // PyTorch 1.13 gives 0 for the saturated row too
    EXPECT_FLOAT_EQ(dx[3], -1.0f / 3.0f);  // y(dy − Σ dy·y) = (1 − 2)/3
}

TEST(Softmax, NeedsRankTwo) {
    Softmax s;
    s.setName("sm");
    Tensor y;
    EXPECT_THROW(s.forward(Tensor({4}), y, Mode::Eval), ShapeError);
    EXPECT_EQ(s.outputShape({2, 7}), Shape({2, 7}));
}

TEST(Softmax, Gradients) {
    Softmax flat, maps;
    test::expectGradientsMatch(flat, {3, 5});
    test::expectGradientsMatch(maps, {2, 3, 2, 2});
}

// One activation evaluation per element, as an element-wise activation would count.
TEST(Softmax, CostAndField) {
    Softmax s;
    EXPECT_EQ(s.cost({{1, 10}}, {1, 10}).activations, 10);
    EXPECT_EQ(s.cost({{1, 3, 4, 4}}, {1, 3, 4, 4}).activations, 48);
    EXPECT_EQ(s.fieldRule({1, 3, 4, 4}).kind, FieldRule::Kind::Same);
}

TEST(Softmax, ModelFileRoundTrip) {
    const nlohmann::json node = test::expectModelRoundTrip(R"({"type": "Softmax"})");
    EXPECT_EQ(node.at("type"), "Softmax");
    EXPECT_EQ(node.at("name"), "softmax1");
    EXPECT_EQ(test::keysOf(node), (std::set<std::string>{"name", "type"}));
    test::expectUnknownKeyRefused("Softmax");
}

}  // namespace ll
