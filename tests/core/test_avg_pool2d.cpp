#include "support/check.h"

#include "core/layers/avg_pool2d.h"
#include "support/round_trip.h"

namespace ll {

TEST(AvgPool2d, GoldenForwardAndBackward) {
    AvgPool2d pool({2, 2, 2, 2, 0, 0});
    Tensor x({1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8}), y;
    pool.forward(x, y, Mode::Train);
    EXPECT_EQ(y.values(), (std::vector<float>{3.5f, 5.5f}));
    Tensor dy({1, 1, 1, 2}, {4, 8}), dx;
    pool.backward(x, y, dy, &dx);
    EXPECT_EQ(dx.values(), (std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2}));
}

TEST(AvgPool2d, PaddingCountsAsZero) {
    AvgPool2d pool({2, 2, 2, 2, 1, 1});
    Tensor x({1, 1, 2, 2}, {4, 4, 4, 4}), y;
    pool.forward(x, y, Mode::Eval);
    ASSERT_EQ(y.shape(), Shape({1, 1, 2, 2}));
    for (int i = 0; i < 4; ++i)
        EXPECT_FLOAT_EQ(y[i], 1.0f);  // one real pixel in each window / 4
}

TEST(AvgPool2d, Gradients) {
    AvgPool2d a({2, 2, 2, 2, 0, 0});
    test::expectGradientsMatch(a, {2, 3, 4, 4});
    AvgPool2d b({3, 2, 2, 1, 1, 1});
    test::expectGradientsMatch(b, {1, 2, 5, 5});
}

}  // namespace ll

namespace ll {

namespace {
// The 5×5 input of the PyTorch snippets: x = (7i mod 11) − 5.
Tensor fiveByFive() {
    Tensor x({1, 1, 5, 5});
    for (int i = 0; i < 25; ++i)
        x[i] = static_cast<float>(i * 7 % 11 - 5);
    return x;
}

void expectNear(const Tensor& got, const std::vector<float>& want) {
    ASSERT_EQ(got.numel(), static_cast<std::int64_t>(want.size()));
    for (std::size_t i = 0; i < want.size(); ++i)
        EXPECT_NEAR(got[static_cast<std::int64_t>(i)], want[i], 1e-6f) << "at " << i;
}
}  // namespace

TEST(AvgPool2d, CeilModeAndCountIncludePadAgainstPyTorch) {
    const Tensor x = fiveByFive();
    Tensor y;
    // F.avg_pool2d(x, 2, 2, ceil_mode=True): the windows hanging over the end divide by what
    // they cover of the (unpadded) input: 2 or 1 positions.
    AvgPool2d a({2, 2, 2, 2, 0, 0}, true);
    a.forward(x, y, Mode::Eval);
    ASSERT_EQ(y.shape(), Shape({1, 1, 3, 3}));
    expectNear(y, {-0.5f, -0.25f, 2, -2, 1, 0.5f, 1, -1.5f, -2});
    // By hand: y[2] = (x[0][4] + x[1][4]) / 2 = (1 + 3) / 2; y[8] = x[4][4] / 1 = −2.
    EXPECT_EQ(y[2], 2.0f);
    EXPECT_EQ(y[8], -2.0f);
    // F.avg_pool2d(x, 3, 2, padding=1, ceil_mode=True, count_include_pad=True / False).
    AvgPool2d incl({3, 3, 2, 2, 1, 1}, true, true);
    incl.forward(x, y, Mode::Eval);
    expectNear(y, {-0.2222222f, 0.5555556f, 0.5555556f, -0.7777778f, -0.4444444f, -0.2222222f, 0,
                   -0.3333333f, -0.4444444f});
    // By hand: the corner window covers x[0..1][0..1] = −5, 2, −3, 4 and 5 padding positions:
    // −2/9 counting the padding, −2/4 without.
    EXPECT_FLOAT_EQ(y[0], -2.0f / 9.0f);
    AvgPool2d excl({3, 3, 2, 2, 1, 1}, true, false);
    excl.forward(x, y, Mode::Eval);
    expectNear(y, {-0.5f, 0.8333333f, 1.25f, -1.166667f, -0.4444444f, -0.3333333f, 0, -0.5f, -1});
    EXPECT_EQ(y[0], -0.5f);
    // F.avg_pool2d(x, 2, 2, padding=1, ceil_mode=True): ⌈(5 + 2 − 2)/2⌉ + 1 = 4 windows would
    // start at −1, 1, 3, 5, but 5 lies in the right padding: 3 (PyTorch's rule). The corner
    // window holds one pixel and three padding zeros: −5/4.
    AvgPool2d over({2, 2, 2, 2, 1, 1}, true);
    over.forward(x, y, Mode::Eval);
    expectNear(y, {-1.25f, 0, 1.5f, -1, 0.25f, 0.5f, 1, -1.25f, -1});
}

TEST(AvgPool2d, CountExcludingPadGradientAgainstPyTorch) {
    // torch 1.13: backward of F.avg_pool2d(x, 3, 2, padding=1, ceil_mode=True,
    // count_include_pad=False) with dy = ones: each input gets Σ 1/count of its windows.
    AvgPool2d pool({3, 3, 2, 2, 1, 1}, true, false);
    const Tensor x = fiveByFive();
    Tensor y, dx;
    pool.forward(x, y, Mode::Train);
    pool.backward(x, y, Tensor(y.shape(), 1.0f), &dx);
    expectNear(dx,
               {0.25f,      0.4166667f, 0.1666667f, 0.4166667f, 0.25f,      0.4166667f, 0.6944445f,
                0.2777778f, 0.6944445f, 0.4166667f, 0.1666667f, 0.2777778f, 0.1111111f, 0.2777778f,
                0.1666667f, 0.4166667f, 0.6944445f, 0.2777778f, 0.6944445f, 0.4166667f, 0.25f,
                0.4166667f, 0.1666667f, 0.4166667f, 0.25f});
    // x[0][0] is in one window of 4 input positions: 1/4.
    EXPECT_FLOAT_EQ(dx[0], 0.25f);
}

TEST(AvgPool2d, GradientsOfTheOptions) {
    AvgPool2d a({2, 2, 2, 2, 0, 0}, true);
    test::expectGradientsMatch(a, {2, 2, 5, 5});
    AvgPool2d b({3, 3, 2, 2, 1, 1}, true, false);
    test::expectGradientsMatch(b, {1, 2, 6, 7});
    AvgPool2d c({3, 2, 2, 1, 1, 1}, false, false);
    test::expectGradientsMatch(c, {1, 2, 5, 5});
    Window2d asym{2, 2, 1, 1, 0, 0};
    asym.pb = 1, asym.pr = 1;
    AvgPool2d d(asym, false, false);
    test::expectGradientsMatch(d, {1, 2, 4, 4});
}

TEST(AvgPool2d, OptionsInModelFiles) {
    const nlohmann::json w = test::expectRoundTrip(R"({"input": [2, 7, 7], "layers": [
        {"type": "AvgPool2d", "kernel": 3, "stride": 2, "padding": 1, "ceil_mode": true,
         "count_include_pad": false},
        {"type": "AvgPool2d", "kernel": 2, "padding": "same", "stride": 1},
        {"type": "AvgPool2d", "kernel": 2}]})");
    EXPECT_EQ(w[0]["ceil_mode"], true);
    EXPECT_EQ(w[0]["count_include_pad"], false);
    EXPECT_EQ(w[1]["padding"], nlohmann::json::parse("[0, 0, 1, 1]"));
    EXPECT_FALSE(w[2].contains("ceil_mode"));
    EXPECT_FALSE(w[2].contains("count_include_pad"));
    std::string e = test::modelErrorOf(R"({"input": [1, 5, 5], "layers": [
        {"type": "AvgPool2d", "name": "ap", "kernel": 2, "count_include_pad": "no"}]})");
    EXPECT_NE(e.find("layer 0 'ap' (AvgPool2d): \"count_include_pad\" must be true or false"),
              std::string::npos)
        << e;
    e = test::modelErrorOf(R"({"input": [1, 5, 5], "layers": [
        {"type": "AvgPool2d", "name": "ap", "kernel": 2, "padding": [0, 0, 2, 0]}]})");
    EXPECT_NE(e.find("padding must be at most half the kernel"), std::string::npos) << e;
    e = test::modelErrorOf(R"({"input": [1, 5, 5], "layers": [
        {"type": "AvgPool2d", "name": "ap", "kernel": 2, "padding": -1}]})");
    EXPECT_NE(e.find("layer 0 'ap' (AvgPool2d): AvgPool2d: padding must be >= 0"),
              std::string::npos)
        << e;
}

}  // namespace ll

namespace ll {

// Windows wholly inside the input take a loop of their own (summed a row of outputs at a time;
// the gradient written straight when windows do not overlap). Its floats must be those of the
// general loop, which this test writes out: 0, then the window's inputs row by row, times
// 1/(kh·kw); the gradient as each window's share added in window order.
TEST(AvgPool2d, WholeWindowsGiveTheGeneralLoopsFloats) {
    struct Case {
        Shape in;
        Window2d w;
    };
    const Case cases[] = {
        {{2, 3, 28, 28}, {2, 2, 2, 2, 0, 0}},  // LeNet-5's: the windows tile the input
        {{1, 2, 7, 9}, {2, 2, 2, 2, 0, 0}},    // the last row and column in no window
        {{1, 2, 9, 11}, {3, 3, 2, 2, 0, 0}},   // overlapping windows
        {{1, 2, 9, 9}, {3, 3, 3, 3, 0, 0}},
        {{1, 1, 7, 10}, {2, 2, 3, 3, 0, 0}},  // gaps between windows: their gradient stays 0
        {{1, 2, 6, 7}, {2, 2, 1, 1, 0, 0}},
        {{3, 1, 8, 9}, {2, 3, 2, 3, 0, 0}},  // 9 = 3·3: the last window ends on the edge
        {{1, 1, 5, 33}, {1, 2, 1, 2, 0, 0}},
    };
    Rng rng(5);
    for (const Case& c : cases) {
        SCOPED_TRACE(c.w.str());
        Tensor x(c.in);
        for (std::int64_t i = 0; i < x.numel(); ++i)
            x[i] = rng.uniform(-3.0f, 3.0f);
        AvgPool2d pool(c.w);
        Tensor y, dx;
        pool.forward(x, y, Mode::Train);
        const int H = c.in[2], W = c.in[3], Ho = y.dim(2), Wo = y.dim(3);
        const Window2d& k = c.w;
        const float scale = 1.0f / static_cast<float>(k.kh * k.kw);
        Tensor dy(y.shape()), wantDx(c.in);
        for (std::int64_t i = 0; i < dy.numel(); ++i)
            dy[i] = rng.uniform(-1.0f, 1.0f);
        wantDx.setZero();
        for (int p = 0; p < c.in[0] * c.in[1]; ++p) {
            const float* in = x.data() + static_cast<std::int64_t>(p) * H * W;
            float* g = wantDx.data() + static_cast<std::int64_t>(p) * H * W;
            for (int oh = 0; oh < Ho; ++oh) {
                for (int ow = 0; ow < Wo; ++ow) {
                    float s = 0.0f;
                    for (int h = oh * k.sh; h < oh * k.sh + k.kh; ++h)
                        for (int w = ow * k.sw; w < ow * k.sw + k.kw; ++w)
                            s += in[h * W + w];
                    const std::int64_t o = (static_cast<std::int64_t>(p) * Ho + oh) * Wo + ow;
                    ASSERT_EQ(y[o], s * scale) << "plane " << p << " output " << oh << "," << ow;
                    const float v = dy[o] * scale;
                    for (int h = oh * k.sh; h < oh * k.sh + k.kh; ++h)
                        for (int w = ow * k.sw; w < ow * k.sw + k.kw; ++w)
                            g[h * W + w] += v;
                }
            }
        }
        dx.resize(c.in);
        dx.fill(12345.0f);  // what was there before: overwritten, never added to
        pool.backward(x, y, dy, &dx);
        // Overlapping windows keep the general loop, whose fused multiply-adds (where the
        // compiler fuses them) may differ from this file's: equal within rounding there.
        const bool overlap = k.sh < k.kh || k.sw < k.kw;
        for (std::int64_t i = 0; i < dx.numel(); ++i) {
            if (overlap)
                ASSERT_NEAR(dx[i], wantDx[i], 1e-6f) << "dx at " << i;
            else
                ASSERT_EQ(dx[i], wantDx[i]) << "dx at " << i;
        }
    }
}

}  // namespace ll
