#include "support/check.h"
#include "support/model_round_trip.h"
#include "support/round_trip.h"

#include <cmath>

#include "core/analysis/cost.h"
#include "core/layers/lrn.h"

namespace ll {

namespace {

// Five channels, two positions: x and dy of shape (1, 5, 1, 2), channel-major.
const std::vector<float> kX = {1, -2, 0.5f, 3, -1.5f, 2.5f, 0.25f, -0.75f, 1.25f, -3};
const std::vector<float> kDy = {0.5f, 1, -1, 2, 0.25f, -0.5f, 1.5f, -2, 1, 0.75f};

void expectValues(const Tensor& t, const std::vector<float>& want, const char* what) {
    ASSERT_EQ(t.numel(), static_cast<std::int64_t>(want.size())) << what;
    for (std::size_t i = 0; i < want.size(); ++i)
        EXPECT_NEAR(t[static_cast<std::int64_t>(i)], want[i],
                    2e-6 * std::max(1.0f, std::fabs(want[i])))
            << what << "[" << i << "]";
}

// Forward and backward of `lrn` on kX with dy = kDy, against golden y and dx.
void expectGolden(LRN& lrn, const std::vector<float>& y, const std::vector<float>& dx) {
    const Tensor x({1, 5, 1, 2}, kX);
    Tensor out, grad({1, 5, 1, 2}, NAN);
    lrn.forward(x, out, Mode::Train);
    expectValues(out, y, "y");
    lrn.backward(x, out, Tensor({1, 5, 1, 2}, kDy), &grad);
    expectValues(grad, dx, "dx");
}

}  // namespace

// Golden values printed from PyTorch 1.13 (float32):
//   x = torch.tensor(kX).view(1, 5, 1, 2).requires_grad_()
//   y = F.local_response_norm(x, size, alpha, beta, k); y.backward(torch.tensor(kDy).view(...))
// printing y and x.grad with "%.9g".
TEST(LRN, GoldenOddSizeAgainstPyTorch) {
    LRN lrn(3, 0.6f, 0.75f, 2.0f);
    expectGolden(lrn,
                 {0.544331074f, -0.636739194f, 0.237381682f, 0.797543406f, -0.751643121f,
                  0.72995311f, 0.116276719f, -0.21898593f, 0.663884878f, -1.07840157f},
                 {0.262252569f, 0.398915321f, -0.4685013f, 0.474504948f, 0.0803380907f,
                  -0.361093521f, 0.677139997f, -0.627293587f, 0.400460064f, 0.159903735f});
}

// PyTorch's defaults (α = 1e-4, β = 0.75, k = 1), size 5 = the channel count.
TEST(LRN, GoldenDefaultsAgainstPyTorch) {
    LRN lrn(5);
    EXPECT_EQ(lrn.alpha(), 1e-4f);
    EXPECT_EQ(lrn.beta(), 0.75f);
    EXPECT_EQ(lrn.k(), 1.0f);
    expectGolden(lrn,
                 {0.999947548f, -1.99942267f, 0.499973297f, 2.99910879f, -1.49988472f, 2.4989202f,
                  0.249984533f, -0.749720991f, 1.2499274f, -2.99928856f},
                 {0.499985039f, 0.999876201f, -0.999946594f, 1.99902356f, 0.250037044f,
                  -0.499933928f, 1.49990153f, -1.99916601f, 0.999895096f, 0.749642253f});
}

// Even sizes: PyTorch's window has ⌊n/2⌋ channels before c and ⌊(n − 1)/2⌋ after.
TEST(LRN, GoldenEvenSizesAgainstPyTorch) {
    LRN two(2, 0.6f, 0.75f, 2.0f);
    EXPECT_EQ(two.before(), 1);
    EXPECT_EQ(two.after(), 0);
    expectGolden(two,
                 {0.535431802f, -0.835925341f, 0.261349887f, 0.792468905f, -0.702411711f,
                  0.608861029f, 0.118897319f, -0.263010502f, 0.6310848f, -0.915288806f},
                 {0.264855653f, 0.424628854f, -0.483572781f, 0.228164017f, 0.118656024f,
                  -0.216026157f, 0.677394032f, -0.705044031f, 0.362160206f, 0.0384797156f});
    LRN four(4, 0.6f, 0.75f, 2.0f);
    expectGolden(four,
                 {0.555954099f, -0.713809252f, 0.249616876f, 0.912654042f, -0.74677217f,
                  0.750844181f, 0.121442154f, -0.202725083f, 0.61381495f, -0.992248535f},
                 {0.288202703f, 0.409664512f, -0.501946568f, 0.481465906f, 0.169969246f,
                  -0.261877775f, 0.715507567f, -0.570109606f, 0.404607326f, 0.180992991f});
}

// A window wider than the channels: every channel sees all five (clipped), still divided by 7.
TEST(LRN, GoldenWindowWiderThanTheChannelsAgainstPyTorch) {
    LRN lrn(7, 0.6f, 0.75f, 2.0f);
    expectGolden(lrn,
                 {0.534498274f, -0.74995625f, 0.256166875f, 0.975925505f, -0.768500686f,
                  0.813271224f, 0.128083438f, -0.243981376f, 0.657831252f, -1.03612542f},
                 {0.265846699f, 0.439803183f, -0.531003118f, 0.626011372f, 0.184091359f,
                  -0.183158964f, 0.759166002f, -0.644465566f, 0.49822253f, 0.361855567f});
}

// The ONNX operator's window (⌊(n − 1)/2⌋ before, ⌈(n − 1)/2⌉ after). Golden values from the
// formula of the ONNX LRN operator (its schema and onnx 1.12's backend test case lrn.py) written
// in PyTorch 1.13 float64, the gradient by autograd, printed with "%.9g".
TEST(LRN, GoldenOnnxWindowForEvenSize) {
    LRN lrn(2, 0.6f, 0.75f, 2.0f, LRN::Align::Onnx);
    EXPECT_EQ(lrn.before(), 0);
    EXPECT_EQ(lrn.after(), 1);
    expectGolden(lrn,
                 {0.522699747f, -0.528312622f, 0.234137234f, 0.730633257f, -0.713383883f,
                  0.876701572f, 0.126216953f, -0.2288222f, 0.63467615f, -0.939826878f},
                 {0.21183095f, 0.18356625f, -0.473877247f, 0.307942022f, 0.0167373238f,
                  -0.303414599f, 0.756187585f, -0.61505448f, 0.320318881f, 0.159388996f});
}

// For odd sizes the two alignments are the same window; for even sizes one is the other's
// mirror image: ONNX's LRN of x is PyTorch's of x with the channels reversed, reversed back.
TEST(LRN, AlignmentsAgreeForOddSizesAndMirrorForEven) {
    for (int n : {1, 2, 3, 4, 5, 6}) {
        LRN torch(n, 0.6f, 0.75f, 2.0f), onnx(n, 0.6f, 0.75f, 2.0f, LRN::Align::Onnx);
        EXPECT_EQ(torch.before() + torch.after(), n - 1);
        EXPECT_EQ(onnx.before(), torch.after()) << n;
        EXPECT_EQ(onnx.after(), torch.before()) << n;
        const Tensor x({1, 5, 1, 2}, kX);
        std::vector<float> reversed;
        for (int c = 4; c >= 0; --c)
            reversed.insert(reversed.end(), kX.begin() + 2 * c, kX.begin() + 2 * c + 2);
        Tensor yt, yo, yr;
        torch.forward(x, yt, Mode::Eval);
        onnx.forward(x, yo, Mode::Eval);
        torch.forward(Tensor({1, 5, 1, 2}, reversed), yr, Mode::Eval);
        for (int c = 0; c < 5; ++c)
            for (int s = 0; s < 2; ++s) {
                EXPECT_FLOAT_EQ(yo[2 * c + s], yr[2 * (4 - c) + s]) << n << " " << c;
                if (n % 2) {
                    EXPECT_EQ(yo[2 * c + s], yt[2 * c + s]) << n << " " << c;
                }
            }
        if (n % 2 == 0) {
            EXPECT_NE(yo.values(), yt.values()) << n;
        }
    }
}

// A flat (N, C) input is (N, C, 1, 1): the same numbers.
TEST(LRN, FlatInputIsOnePosition) {
    LRN lrn(3, 0.6f, 0.75f, 2.0f);
    const Tensor flat({2, 5}, kX), map({2, 5, 1, 1}, kX);
    Tensor yf, ym, df, dm;
    lrn.forward(flat, yf, Mode::Eval);
    lrn.forward(map, ym, Mode::Eval);
    EXPECT_EQ(yf.shape(), Shape({2, 5}));
    EXPECT_EQ(yf.values(), ym.values());
    lrn.backward(flat, yf, Tensor({2, 5}, kDy), &df);
    lrn.backward(map, ym, Tensor({2, 5, 1, 1}, kDy), &dm);
    EXPECT_EQ(df.values(), dm.values());
    EXPECT_THROW(lrn.outputShape(Shape({5})), ShapeError);
}

// A batch large enough to run its samples on several threads gives what each sample gives alone.
TEST(LRN, BatchIsItsSamplesApart) {
    LRN lrn(5, 0.5f, 0.75f, 2.0f);
    const Shape one({1, 16, 16, 16});
    Tensor x({8, 16, 16, 16}), dy(x.shape()), y, dx;
    Rng rng(6);
    for (std::int64_t i = 0; i < x.numel(); ++i) {
        x[i] = rng.normal();
        dy[i] = rng.normal();
    }
    lrn.forward(x, y, Mode::Train);
    lrn.backward(x, y, dy, &dx);
    const std::int64_t m = one.numel();
    for (int n = 0; n < 8; ++n) {
        const Tensor xn(one, std::vector<float>(x.data() + n * m, x.data() + (n + 1) * m));
        const Tensor gn(one, std::vector<float>(dy.data() + n * m, dy.data() + (n + 1) * m));
        Tensor yn, dxn;
        lrn.forward(xn, yn, Mode::Train);
        lrn.backward(xn, yn, gn, &dxn);
        EXPECT_EQ(yn.values(), std::vector<float>(y.data() + n * m, y.data() + (n + 1) * m)) << n;
        EXPECT_EQ(dxn.values(), std::vector<float>(dx.data() + n * m, dx.data() + (n + 1) * m))
            << n;
    }
}

// α = 1 makes the cross-channel term of the gradient as large as the direct one.
TEST(LRN, Gradients) {
    for (int n : {1, 2, 3, 4, 5, 9}) {
        LRN torch(n, 1.0f, 0.75f, 1.5f);
        test::expectGradientsMatch(torch, {2, 5, 3, 2});
        LRN onnx(n, 1.0f, 0.75f, 1.5f, LRN::Align::Onnx);
        test::expectGradientsMatch(onnx, {2, 5, 3, 2});
    }
    LRN steep(3, 2.0f, 1.5f, 0.5f);
    test::expectGradientsMatch(steep, {3, 6});
    LRN defaults(5);
    test::expectGradientsMatch(defaults, {2, 7, 2, 2});
}

// Per element 2n + 3 operations (n squares, n − 1 additions, · α/n, + k, a power, a division),
// in the normalization column; no parameters, no multiplications of weighted sums.
TEST(LRN, CostAndField) {
    LRN lrn(5, 1e-4f, 0.75f, 2.0f);  // AlexNet's
    const LayerCost c = lrn.cost({{1, 96, 55, 55}}, {1, 96, 55, 55});
    EXPECT_EQ(c.normOps, 13 * 96 * 55 * 55);
    EXPECT_EQ(c.weights + c.biases, 0);
    EXPECT_EQ(c.multiplications, 0);
    EXPECT_EQ(c.activations, 0);
    EXPECT_EQ(LRN(2).cost({{1, 4}}, {1, 4}).normOps, 7 * 4);
    EXPECT_EQ(lrn.fieldRule({1, 96, 55, 55}).kind, FieldRule::Kind::Same);

    // Through the cost table: FLOPs only under "+bn"; the field is the convolution's.
    Net net = buildNet(R"({"input": [3, 12, 12], "layers": [
      {"type": "Conv2d", "name": "conv", "out": 4, "kernel": 3, "stride": 2},
      {"type": "LRN", "name": "norm", "size": 3}]})");
    const CostTable t = computeCosts(net);
    ASSERT_EQ(t.rows.size(), 2u);
    const CostRow& r = t.rows[1];
    EXPECT_EQ(r.name, "norm");
    EXPECT_EQ(r.cost.normOps, 9 * 4 * 5 * 5);
    EXPECT_EQ(r.cost.params(), 0);
    EXPECT_EQ(r.cost.flops, 0);
    EXPECT_EQ(computeCosts(net, CostConvention::parse("course+bn")).rows[1].cost.flops,
              9 * 4 * 5 * 5);
    ASSERT_TRUE(r.rf.valid);
    EXPECT_EQ(r.rf.size, t.rows[0].rf.size);
    EXPECT_EQ(r.rf.jump, (std::array<int, 2>{2, 2}));
    EXPECT_EQ(r.rf.start, t.rows[0].rf.start);
}

TEST(LRN, ModelFileRoundTrip) {
    nlohmann::json node = test::expectModelRoundTrip(
        R"({"type": "LRN", "size": 3, "alpha": 0.5, "beta": 0.6, "k": 2})");
    EXPECT_EQ(node.at("type"), "LRN");
    EXPECT_EQ(node.at("name"), "lrn1");
    EXPECT_EQ(test::keysOf(node),
              (std::set<std::string>{"alpha", "beta", "k", "name", "size", "type"}));
    EXPECT_EQ(node.at("size"), 3);
    EXPECT_EQ(node.at("alpha").get<float>(), 0.5f);
    EXPECT_EQ(node.at("beta").get<float>(), 0.6f);
    EXPECT_EQ(node.at("k").get<float>(), 2.0f);

    // Defaults are left out, spelled out or not.
    node = test::expectModelRoundTrip(
        R"({"type": "LRN", "size": 5, "alpha": 0.0001, "beta": 0.75, "k": 1})");
    EXPECT_EQ(test::keysOf(node), (std::set<std::string>{"name", "size", "type"}));

    // The ONNX window is written where it differs: for an even size only.
    node = test::expectModelRoundTrip(R"({"type": "LRN", "size": 2, "window": "onnx"})");
    EXPECT_EQ(node.at("window"), "onnx");
    node = test::expectModelRoundTrip(R"({"type": "LRN", "size": 3, "window": "onnx"})");
    EXPECT_FALSE(node.contains("window"));
    node = test::expectModelRoundTrip(R"({"type": "LRN", "size": 2, "window": "pytorch"})");
    EXPECT_FALSE(node.contains("window"));

    // A map input (AlexNet's conv → LRN), and what was read is what is used.
    test::expectRoundTrip(R"({"input": [3, 8, 8], "layers": [
      {"type": "Conv2d", "out": 6, "kernel": 3, "padding": 1},
      {"type": "LRN", "size": 4, "alpha": 0.3, "beta": 0.5, "k": 1.5, "window": "onnx"}]})");
    Net net = buildNet(R"({"input": [6, 2, 2], "layers": [
      {"type": "LRN", "size": 4, "alpha": 0.3, "beta": 0.5, "k": 1.5, "window": "onnx"}]})");
    const auto& l = dynamic_cast<const LRN&>(net.layer(0));
    EXPECT_EQ(l.size(), 4);
    EXPECT_EQ(l.alpha(), 0.3f);
    EXPECT_EQ(l.beta(), 0.5f);
    EXPECT_EQ(l.k(), 1.5f);
    EXPECT_EQ(l.before(), 1);
    EXPECT_EQ(l.describe(), "size 4, α=0.3, β=0.5, k=1.5, onnx window");
    EXPECT_EQ(LRN(5).describe(), "size 5, α=0.0001, β=0.75, k=1");
}

TEST(LRN, BadParametersAreModelErrors) {
    test::expectUnknownKeyRefused("LRN");
    auto error = [](const std::string& keys) {
        return test::modelErrorOf(R"({"input": [4, 3, 3], "layers": [{"type": "LRN")" +
                                  (keys.empty() ? "" : ", " + keys) + "}]}");
    };
    auto expectError = [&](const std::string& keys, const std::string& part) {
        const std::string e = error(keys);
        EXPECT_NE(e.find(part), std::string::npos) << keys << ": " << e;
        EXPECT_NE(e.find("test.json: layer 0 (LRN)"), std::string::npos) << keys << ": " << e;
    };
    expectError("", "needs \"size\"");
    expectError(R"("size": 0)", "size must be in [1, 65535], got 0");
    expectError(R"("size": -3)", "size must be in [1, 65535], got -3");
    expectError(R"("size": 70000)", "size must be in [1, 65535], got 70000");
    expectError(R"("size": 2.5)", "\"size\" must be an integer");
    expectError(R"("size": "5")", "\"size\" must be an integer");
    expectError(R"("size": 5, "alpha": -0.1)", "needs alpha >= 0, k > 0");
    expectError(R"("size": 5, "k": 0)", "needs alpha >= 0, k > 0");
    expectError(R"("size": 5, "k": -1)", "needs alpha >= 0, k > 0");
    expectError(R"("size": 5, "beta": "big")", "\"beta\" must be a number");
    expectError(R"("size": 5, "alpha": 1e300)", "\"alpha\": 1e+300 is out of range");
    expectError(R"("size": 4, "window": "caffe")", "\"window\" must be \"pytorch\" or \"onnx\"");
    expectError(R"("size": 4, "window": 1)", "\"window\" must be \"pytorch\" or \"onnx\"");
    EXPECT_THROW(LRN(0), ModelError);
    EXPECT_THROW(LRN(3, NAN), ModelError);
    EXPECT_THROW(LRN(3, 1e-4f, INFINITY), ModelError);
    EXPECT_NO_THROW(LRN(3, 0.0f, -0.5f, 0.1f));  // α = 0 (y = x/k^β) and a negative β are fine
}

}  // namespace ll
