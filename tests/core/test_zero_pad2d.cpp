#include "support/check.h"
#include "support/model_round_trip.h"
#include "support/round_trip.h"

#include <cmath>

#include "core/analysis/cost.h"
#include "core/analysis/receptive_field.h"
#include "core/layers/zero_pad2d.h"

namespace ll {

// Golden values printed from PyTorch 1.13: x = torch.arange(1., 7.).view(1, 1, 2, 3);
// y = nn.ZeroPad2d((1, 0, 2, 1))(x) — PyTorch's order is (left, right, top, bottom), ours
// [top, left, bottom, right] = [2, 1, 1, 0]; y.backward(torch.arange(1., 21.).view(1, 1, 5, 4))
// gives x.grad = [[10, 11, 12], [14, 15, 16]]: dy cropped.
TEST(ZeroPad2d, GoldenForwardBackwardAgainstPyTorch) {
    ZeroPad2d pad(2, 1, 1, 0);
    Tensor x({1, 1, 2, 3}, {1, 2, 3, 4, 5, 6}), y;
    pad.forward(x, y, Mode::Train);
    EXPECT_EQ(y.shape(), Shape({1, 1, 5, 4}));
    EXPECT_EQ(y.values(), (std::vector<float>{0, 0, 0, 0,  //
                                              0, 0, 0, 0,  //
                                              0, 1, 2, 3,  //
                                              0, 4, 5, 6,  //
                                              0, 0, 0, 0}));
    Tensor dy({1, 1, 5, 4}), dx({1, 1, 2, 3}, NAN);
    for (std::int64_t i = 0; i < dy.numel(); ++i)
        dy[i] = static_cast<float>(i + 1);
    pad.backward(x, y, dy, &dx);
    EXPECT_EQ(dx.values(), (std::vector<float>{10, 11, 12, 14, 15, 16}));
}

// Several samples and channels: each plane is padded on its own (the offsets of the planes).
TEST(ZeroPad2d, PlanesArePaddedApart) {
    ZeroPad2d pad(0, 1, 1, 0);
    Tensor x({2, 2, 1, 1}, {1, 2, 3, 4}), y;
    pad.forward(x, y, Mode::Eval);
    EXPECT_EQ(y.shape(), Shape({2, 2, 2, 2}));
    EXPECT_EQ(y.values(), (std::vector<float>{0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0}));
    Tensor dy({2, 2, 2, 2}, 7.0f), dx;
    dy[1] = 1, dy[5] = 2, dy[9] = 3, dy[13] = 4;
    pad.backward(x, y, dy, &dx);
    EXPECT_EQ(dx.values(), (std::vector<float>{1, 2, 3, 4}));
    // No padding is the identity.
    ZeroPad2d none(0);
    none.forward(x, y, Mode::Eval);
    EXPECT_EQ(y.values(), x.values());
}

TEST(ZeroPad2d, Gradients) {
    ZeroPad2d sym(1);
    test::expectGradientsMatch(sym, {2, 3, 4, 5});
    ZeroPad2d asym(2, 0, 1, 3);
    test::expectGradientsMatch(asym, {2, 2, 3, 4});
}

TEST(ZeroPad2d, ShapesAndCost) {
    ZeroPad2d pad(1, 2, 3, 4);
    pad.setName("pad");
    EXPECT_EQ(pad.outputShape({8, 16, 10, 20}), Shape({8, 16, 14, 26}));
    const LayerCost c = pad.cost({{1, 16, 10, 20}}, {1, 16, 14, 26});
    EXPECT_EQ(c.weights + c.biases, 0);
    EXPECT_EQ(c.multiplications + c.poolOps + c.normOps + c.activations + c.elementwise, 0);
    EXPECT_THROW(pad.outputShape({1, 16, 10}), ShapeError);
    EXPECT_THROW(ZeroPad2d(65535).outputShape({1, 1, 2147483647 - 65535, 1}), ShapeError);
    EXPECT_EQ(ZeroPad2d(3).describe(), "p3");
    EXPECT_EQ(ZeroPad2d(1, 2, 1, 2).describe(), "p1×2");
    EXPECT_EQ(pad.describe(), "p[1,2,3,4]");

    // In a cost table: a row with no parameters and no operations, the output it states.
    Net net = buildNet(R"({"input": [3, 8, 8], "layers": [
      {"type": "ZeroPad2d", "padding": [0, 1, 2, 3]},
      {"type": "Conv2d", "out": 4, "kernel": 3}]})");
    const CostTable t = computeCosts(net);
    EXPECT_EQ(t.rows[0].name, "pad1");
    EXPECT_EQ(t.rows[0].outputShape, Shape({3, 10, 12}));
    EXPECT_EQ(t.rows[0].cost.params(), 0);
    EXPECT_EQ(t.rows[0].cost.flops, 0);
    EXPECT_EQ(t.rows[1].outputShape, Shape({4, 8, 10}));
}

// ZeroPad2d then an unpadded convolution is the convolution with that padding: the same
// numbers from the same weights, and the same receptive field at every node.
TEST(ZeroPad2d, PadThenConvolveIsAPaddedConvolution) {
    Net padded = buildNet(R"({"input": [2, 7, 6], "layers": [
      {"type": "ZeroPad2d", "padding": [2, 1, 0, 3]},
      {"type": "Conv2d", "name": "conv", "out": 3, "kernel": 3, "stride": 2}]})");
    Net conv = buildNet(R"({"input": [2, 7, 6], "layers": [
      {"type": "Conv2d", "name": "conv", "out": 3, "kernel": 3, "stride": 2,
       "padding": [2, 1, 0, 3]}]})");
    padded.resetParameters(11);
    conv.resetParameters(12);
    const std::vector<Param*> a = padded.params(), b = conv.params();
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        b[i]->value = a[i]->value;
    Tensor x({2, 2, 7, 6});
    Rng rng(4);
    for (float& v : x.vector())
        v = rng.normal();
    const Tensor yp = padded.forward(x, Mode::Eval);
    const Tensor& yc = conv.forward(x, Mode::Eval);
    ASSERT_EQ(yp.shape(), yc.shape());
    for (std::int64_t i = 0; i < yp.numel(); ++i)
        EXPECT_NEAR(yp[i], yc[i], 1e-5f) << i;

    const ReceptiveField rp = computeCosts(padded).rows[1].rf, rc = computeCosts(conv).rows[0].rf;
    ASSERT_TRUE(rp.valid && rc.valid);
    EXPECT_EQ(rp.size, rc.size);
    EXPECT_EQ(rp.jump, rc.jump);
    EXPECT_EQ(rp.start, rc.start);
    EXPECT_EQ(rp.start, (std::array<int, 2>{-2, -1}));
}

// The field through the padding by hand (Araujo et al.: u_l = u_{l−1} − p_l·j_{l−1}), after a
// stride-2 layer so the jump scales the offset; and the effective field (|∂y/∂x|, random
// weights) fills exactly the analytic rectangle clipped to the image, for units at the padded
// corner and inside.
TEST(ZeroPad2d, ReceptiveFieldMovesTheStartByThePaddingTimesTheJump) {
    Net net = buildNet(R"({"input": [1, 12, 11], "layers": [
      {"type": "Conv2d", "name": "c1", "out": 2, "kernel": 3, "stride": 2},
      {"type": "ZeroPad2d", "name": "pad", "padding": [1, 2, 0, 1]},
      {"type": "Conv2d", "name": "c2", "out": 2, "kernel": 3}]})");
    const CostTable t = computeCosts(net);
    struct Golden {
        int size, jump, startRows, startCols;
    };
    const Golden want[3] = {{3, 2, 0, 0}, {3, 2, -2, -4}, {7, 2, -2, -4}};
    for (int i = 0; i < 3; ++i) {
        const ReceptiveField& rf = t.rows[static_cast<std::size_t>(i)].rf;
        ASSERT_TRUE(rf.valid) << i;
        EXPECT_EQ(rf.size, (std::array<int, 2>{want[i].size, want[i].size})) << i;
        EXPECT_EQ(rf.jump, (std::array<int, 2>{want[i].jump, want[i].jump})) << i;
        EXPECT_EQ(rf.start, (std::array<int, 2>{want[i].startRows, want[i].startCols})) << i;
    }
    EXPECT_EQ(t.rows[1].outputShape, Shape({2, 6, 8}));

    net.resetParameters(9);
    Tensor x({1, 12, 11});
    Rng rng(2);
    for (float& v : x.vector())
        v = rng.uniform(0.5f, 1.5f);
    const ReceptiveField& rf = t.rows[2].rf;
    for (auto [i, j] : {std::pair{0, 0}, std::pair{1, 2}, std::pair{3, 5}}) {
        const Tensor erf = effectiveReceptiveField(net, x, 2, 1, i, j);
        const UnitRegion u = unitRegion(rf, i, j, 12, 11);
        int rows[2] = {12, -1}, cols[2] = {11, -1};
        for (int h = 0; h < 12; ++h)
            for (int w = 0; w < 11; ++w)
                if (erf[h * 11 + w] != 0.0f) {
                    rows[0] = std::min(rows[0], h), rows[1] = std::max(rows[1], h + 1);
                    cols[0] = std::min(cols[0], w), cols[1] = std::max(cols[1], w + 1);
                }
        EXPECT_EQ(rows[0], u.clippedRows[0]) << i << "," << j;
        EXPECT_EQ(rows[1], u.clippedRows[1]) << i << "," << j;
        EXPECT_EQ(cols[0], u.clippedCols[0]) << i << "," << j;
        EXPECT_EQ(cols[1], u.clippedCols[1]) << i << "," << j;
    }
}

TEST(ZeroPad2d, ModelFileRoundTrip) {
    // Each form of "padding" is written back in the shortest form that says it.
    struct Case {
        const char* padding;
        nlohmann::json written;
    };
    for (const Case& c :
         {Case{"1", 1}, Case{"[1, 1]", 1}, Case{"[2, 1]", {2, 1}}, Case{"[1, 2, 1, 2]", {1, 2}},
          Case{"[0, 1, 2, 3]", {0, 1, 2, 3}}, Case{"0", 0}, Case{"[0, 0, 0, 0]", 0}}) {
        const nlohmann::json node = test::expectModelRoundTrip(
            std::string(R"({"type": "ZeroPad2d", "padding": )") + c.padding + "}");
        EXPECT_EQ(node.at("type"), "ZeroPad2d");
        EXPECT_EQ(node.at("name"), "pad1");
        EXPECT_EQ(test::keysOf(node), (std::set<std::string>{"name", "padding", "type"}));
        EXPECT_EQ(node.at("padding"), c.written) << c.padding;
    }
    Net net = buildNet(R"({"input": [1, 2, 2], "layers": [
      {"type": "ZeroPad2d", "padding": [1, 2, 3, 4]}]})");
    const auto& l = dynamic_cast<const ZeroPad2d&>(net.layer(0));
    EXPECT_EQ(l.top(), 1);
    EXPECT_EQ(l.left(), 2);
    EXPECT_EQ(l.bottom(), 3);
    EXPECT_EQ(l.right(), 4);
    EXPECT_EQ(net.outputShapes().back(), Shape({1, 1, 6, 8}));
    // In a graph, beside ChannelPad, whose prefix it shares: pad1, pad2.
    const nlohmann::json written = test::expectRoundTrip(R"({"input": [2, 6, 6], "layers": [
      {"type": "ChannelPad", "out": 4},
      {"type": "ZeroPad2d", "padding": [1, 0, 0, 1]},
      {"type": "Conv2d", "out": 3, "kernel": 3, "padding": 1}]})");
    EXPECT_EQ(written[0].at("name"), "pad1");
    EXPECT_EQ(written[1].at("name"), "pad2");
    EXPECT_EQ(written[1].at("padding"), nlohmann::json({1, 0, 0, 1}));
}

TEST(ZeroPad2d, BadParametersAreModelErrors) {
    test::expectUnknownKeyRefused("ZeroPad2d");
    auto expectError = [](const std::string& keys, const std::string& part) {
        const std::string e =
            test::modelErrorOf(R"({"input": [1, 4, 4], "layers": [{"type": "ZeroPad2d")" +
                               (keys.empty() ? "" : ", " + keys) + "}]}");
        EXPECT_NE(e.find(part), std::string::npos) << keys << ": " << e;
        EXPECT_NE(e.find("test.json: layer 0"), std::string::npos) << keys << ": " << e;
    };
    expectError("", "needs \"padding\"");
    expectError(R"("padding": -1)", "padding must be in [0, 65535], got p-1");
    expectError(R"("padding": [0, 0, 0, -2])", "negative padding, a crop, is not supported");
    expectError(R"("padding": 70000)", "padding must be in [0, 65535]");
    expectError(R"("padding": "same")",
                "\"padding\" must be an integer, [h, w] or [top, left, bottom, right]");
    expectError(R"("padding": [1, 2, 3])", "\"padding\" must be an integer, [h, w]");
    expectError(R"("padding": [1.5, 2])", "\"padding\" must be an integer, [h, w]");
    expectError(R"("padding": 5000000000)", "\"padding\": 5000000000 is out of range");
    expectError(R"("padding": 1, "kernel": 3)", "unknown key \"kernel\"");
    EXPECT_THROW(ZeroPad2d(-1), ModelError);
    EXPECT_THROW(ZeroPad2d(0, 0, 65536, 0), ModelError);
    // The input must be a map.
    EXPECT_NE(
        test::modelErrorOf(R"({"input": [5], "layers": [{"type": "ZeroPad2d", "padding": 1}]})")
            .find("(N, C, H, W)"),
        std::string::npos);
}

}  // namespace ll
