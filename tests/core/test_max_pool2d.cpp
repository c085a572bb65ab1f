#include "support/check.h"

#include <cmath>
#include <limits>

#include "core/kernels.h"
#include "core/layers/max_pool2d.h"
#include "core/random.h"
#include "support/round_trip.h"

namespace ll {

TEST(MaxPool2d, GoldenForwardAndBackward) {
    MaxPool2d pool({2, 2, 2, 2, 0, 0});
    Tensor x({1, 1, 4, 4}, {1, 5, 2, 0, 3, 4, 8, 1, 0, 0, -1, -2, 9, 0, -3, -4});
    Tensor y;
    pool.forward(x, y, Mode::Train);
    ASSERT_EQ(y.shape(), Shape({1, 1, 2, 2}));
    EXPECT_EQ(y.values(), (std::vector<float>{5, 8, 9, -1}));
    Tensor dy({1, 1, 2, 2}, {1, 2, 3, 4}), dx;
    pool.backward(x, y, dy, &dx);
    EXPECT_EQ(dx.values(), (std::vector<float>{0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 4, 0, 3, 0, 0, 0}));
}

TEST(MaxPool2d, PaddingNeverWins) {
    MaxPool2d pool({3, 3, 2, 2, 1, 1});
    Tensor x({1, 1, 2, 2}, {-5, -6, -7, -8}), y;
    pool.forward(x, y, Mode::Eval);
    ASSERT_EQ(y.shape(), Shape({1, 1, 1, 1}));
    EXPECT_EQ(y[0], -5.0f);  // not the zero padding
}

TEST(MaxPool2d, TiesGoToTheFirstAndNaNPropagates) {
    MaxPool2d pool({2, 2, 2, 2, 0, 0});
    const float nan = std::numeric_limits<float>::quiet_NaN();
    // Window 0: a tie (7 at positions 1 and 4); window 1: a NaN after the maximum.
    Tensor x({1, 1, 2, 4}, {1, 7, 9, 3, 7, 0, nan, 2}), y;
    pool.forward(x, y, Mode::Train);
    EXPECT_EQ(y[0], 7.0f);
    EXPECT_TRUE(std::isnan(y[1]));
    Tensor dy({1, 1, 1, 2}, {1, 1}), dx;
    pool.backward(x, y, dy, &dx);
    EXPECT_EQ(dx[1], 1.0f);  // the first of the tied maxima
    EXPECT_EQ(dx[4], 0.0f);
    EXPECT_EQ(dx[6], 1.0f);  // the NaN
    EXPECT_EQ(dx[2], 0.0f);
}

namespace {
void expectMaxPoolEqualsTheDefinition() {
    const float inf = std::numeric_limits<float>::infinity();
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float levels[] = {-inf, -1.0f, 0.0f, 1.0f};
    struct Setup {
        Window2d w;
        bool ceil;
        int H, W;
    };
    const Setup setups[] = {{{2, 2, 2, 2, 0, 0}, false, 8, 34},  {{2, 2, 2, 2, 0, 0}, false, 5, 7},
                            {{3, 3, 2, 2, 0, 0}, false, 23, 23}, {{3, 3, 2, 2, 1, 1}, false, 9, 10},
                            {{3, 2, 1, 2, 1, 0}, false, 6, 7},   {{3, 3, 2, 2, 0, 0}, true, 8, 8},
                            {{2, 2, 2, 2, 1, 1}, true, 5, 6},    {{3, 3, 1, 1, 1, 1}, false, 7, 19},
                            {{2, 3, 2, 2, 1, 1}, true, 6, 41},   {{1, 2, 1, 1, 0, 0}, false, 3, 17},
                            {{2, 2, 2, 2, 0, 0}, false, 4, 32},  {{2, 2, 2, 2, 0, 0}, false, 8, 8},
                            {{3, 3, 2, 2, 0, 0}, false, 11, 11}, {{3, 3, 3, 3, 0, 0}, false, 9, 13},
                            {{2, 2, 1, 1, 0, 0}, false, 3, 3},   {{2, 2, 2, 2, 0, 0}, false, 4, 4},
                            {{3, 3, 3, 3, 0, 0}, false, 3, 3}};
    // 10 planes: maps of fewer than eight outputs are gathered by groups of planes (2 for 2×2
    // outputs, 8 for 1×1: one whole group and a partial one), the NaNs in planes 0 and 2.
    const int planes = 10;
    Rng rng(5);
    for (const Setup& st : setups) {
        MaxPool2d pool(st.w, st.ceil);
        Tensor x({2, planes / 2, st.H, st.W});
        for (std::int64_t i = 0; i < x.numel(); ++i)
            x[i] = levels[rng.below(4)];
        x[3] = nan;
        x[2 * st.H * st.W + st.W + 2] = nan;
        Tensor y, dx;
        pool.forward(x, y, Mode::Train);
        Tensor dy(y.shape());
        for (std::int64_t i = 0; i < dy.numel(); ++i)
            dy[i] = static_cast<float>(i + 1);
        pool.backward(x, y, dy, &dx);
        const int Ho = y.dim(2), Wo = y.dim(3);
        const Window2d& k = st.w;
        for (int p = 0; p < planes; ++p)
            for (int oh = 0; oh < Ho; ++oh)
                for (int ow = 0; ow < Wo; ++ow) {
                    const int hs = std::max(oh * k.sh - k.ph, 0);
                    const int he = std::min(oh * k.sh - k.ph + k.kh, st.H);
                    const int ws = std::max(ow * k.sw - k.pw, 0);
                    const int we = std::min(ow * k.sw - k.pw + k.kw, st.W);
                    float best = -inf;
                    int at = hs * st.W + ws;
                    bool foundNan = false;
                    for (int h = hs; h < he && !foundNan; ++h)
                        for (int w = ws; w < we; ++w) {
                            const float v =
                                x[static_cast<std::int64_t>(p) * st.H * st.W + h * st.W + w];
                            if (std::isnan(v)) {
                                best = v, at = h * st.W + w, foundNan = true;
                                break;
                            }
                            if (v > best) best = v, at = h * st.W + w;
                        }
                    const std::int64_t o = (static_cast<std::int64_t>(p) * Ho + oh) * Wo + ow;
                    if (foundNan) {
                        EXPECT_TRUE(std::isnan(y[o])) << o;
                    } else {
                        EXPECT_EQ(y[o], best) << o;
                    }
                    // Each input collects the dy of the windows whose maximum it is; check that
                    // this window's dy went to `at` by subtracting it from a copy.
                    dx[static_cast<std::int64_t>(p) * st.H * st.W + at] -= dy[o];
                }
        for (std::int64_t i = 0; i < dx.numel(); ++i)
            ASSERT_EQ(dx[i], 0.0f) << "window " << st.w.str() << ", input " << i;
    }
}
}  // namespace

// Both kernel sets against the definition (the first maximum in scan order, the first NaN when
// there is one) for square and non-square windows, padding, ceil mode, odd sizes; values drawn
// from four levels, −∞ among them, so that ties are everywhere, and NaNs in a few windows. Rows
// of at least eight outputs with stride 1 or 2, and small maps without padding (maps of fewer
// than eight outputs by groups of planes), take the fast set's eight-at-a-time scans, NaNs
// included (they then leave those windows, or the group's planes, to the scalar loop).
TEST(MaxPool2d, EqualsTheDefinitionWithTiesInfinitiesAndNaNs) {
    for (KernelSet ks : {KernelSet::Fast, KernelSet::Reference}) {
        SCOPED_TRACE(kernelSetName(ks));
        KernelSetScope scope(ks);
        expectMaxPoolEqualsTheDefinition();
    }
}

TEST(MaxPool2d, Gradients) {
    GradCheckOptions o;
    o.randomizeParams = false;
    MaxPool2d a({2, 2, 2, 2, 0, 0});
    test::expectGradientsMatch(a, {2, 3, 4, 4}, o);
    MaxPool2d overlapping({3, 3, 2, 2, 1, 1});
    test::expectGradientsMatch(overlapping, {2, 2, 7, 7}, o);
    MaxPool2d nonSquare({3, 2, 1, 2, 1, 0});
    test::expectGradientsMatch(nonSquare, {1, 2, 5, 6}, o);
}

TEST(MaxPool2d, BadWindows) {
    EXPECT_THROW(MaxPool2d({2, 2, 2, 2, 2, 0}), ModelError);  // padding > half kernel
    MaxPool2d pool({5, 5, 1, 1, 0, 0});
    Tensor y;
    EXPECT_THROW(pool.forward(Tensor({1, 1, 3, 3}), y, Mode::Eval), ShapeError);
}

}  // namespace ll

namespace ll {

namespace {
// x = (7i mod 11) − 5 on a 5×5 map: -5 2 -2 5 1 / -3 4 0 -4 3 / -1 -5 2 -2 5 / 1 -3 4 0 -4 /
// 3 -1 -5 2 -2 (the same input as the PyTorch snippets below).
Tensor fiveByFive() {
    Tensor x({1, 1, 5, 5});
    for (int i = 0; i < 25; ++i)
        x[i] = static_cast<float>(i * 7 % 11 - 5);
    return x;
}
}  // namespace

TEST(MaxPool2d, CeilModeOutputSizesFollowPyTorch) {
    // torch 1.13, F.max_pool2d(zeros(1,1,n,n), k, s, p, ceil_mode=True / False).shape[-1]. The
    // rows marked "dropped" have a last window that would start in the right padding: PyTorch
    // drops it (e.g. n 3, k 2, s 2, p 1: windows at −1, 1, 3; 3 ≥ n + p, so 2 outputs, not 3).
    struct Case {
        int n, k, s, p, ceil, floor;
    };
    for (const Case& c : std::vector<Case>{{5, 2, 2, 0, 3, 2},
                                           {6, 2, 2, 0, 3, 3},
                                           {5, 3, 2, 1, 3, 3},
                                           {6, 3, 2, 1, 4, 3},
                                           {1, 2, 2, 1, 1, 1},  // dropped
                                           {2, 3, 3, 0, 1, 0},  // the window outgrows the input
                                           {4, 3, 3, 1, 2, 2},
                                           {7, 3, 3, 1, 3, 3},
                                           {8, 4, 3, 2, 4, 3},
                                           {10, 3, 4, 1, 3, 3},
                                           {3, 2, 2, 1, 2, 2},     // dropped
                                           {5, 2, 4, 1, 2, 2}}) {  // dropped
        SCOPED_TRACE(strCat("n ", c.n, " k ", c.k, " s ", c.s, " p ", c.p));
        EXPECT_EQ(slidingOutputSize(c.n, c.k, c.s, c.p, c.p, 1, true), c.ceil);
        EXPECT_EQ(slidingOutputSize(c.n, c.k, c.s, c.p, c.p, 1, false), c.floor);
        MaxPool2d pool({c.k, c.k, c.s, c.s, c.p, c.p}, true);
        EXPECT_EQ(pool.outputShape({1, 1, c.n, c.n}), Shape({1, 1, c.ceil, c.ceil}));
    }
}

TEST(MaxPool2d, CeilModeGoldenAgainstPyTorch) {
    // torch 1.13: F.max_pool2d(x, 2, 2, ceil_mode=True) on fiveByFive(), then backward of
    // dy = arange(1, 10): the last row and column of windows see one row/column of the input.
    MaxPool2d pool({2, 2, 2, 2, 0, 0}, true);
    const Tensor x = fiveByFive();
    Tensor y, dx;
    pool.forward(x, y, Mode::Train);
    ASSERT_EQ(y.shape(), Shape({1, 1, 3, 3}));
    EXPECT_EQ(y.values(), (std::vector<float>{4, 5, 3, 1, 4, 5, 3, 2, -2}));
    pool.backward(x, y, Tensor({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}), &dx);
    EXPECT_EQ(dx.values(), (std::vector<float>{0, 0, 0, 2, 0, 0, 1, 0, 0, 3, 0, 0, 0,
                                               0, 6, 4, 0, 5, 0, 0, 7, 0, 0, 8, 9}));
    MaxPool2d floor({2, 2, 2, 2, 0, 0});
    floor.forward(x, y, Mode::Eval);
    EXPECT_EQ(y.values(), (std::vector<float>{4, 5, 1, 4}));
}

TEST(MaxPool2d, CeilModeGradientsAndModelFile) {
    GradCheckOptions o;
    o.randomizeParams = false;
    MaxPool2d a({2, 2, 2, 2, 0, 0}, true);
    test::expectGradientsMatch(a, {2, 2, 5, 5}, o);
    MaxPool2d b({3, 3, 2, 2, 1, 1}, true);
    test::expectGradientsMatch(b, {1, 2, 6, 6}, o);
    const nlohmann::json w = test::expectRoundTrip(R"({"input": [2, 7, 7], "layers": [
        {"type": "MaxPool2d", "kernel": 2, "ceil_mode": true},
        {"type": "MaxPool2d", "kernel": 3, "stride": 1, "padding": [0, 0, 1, 1]},
        {"type": "MaxPool2d", "kernel": 2}]})");
    EXPECT_EQ(w[0]["ceil_mode"], true);
    EXPECT_EQ(w[1]["padding"], nlohmann::json::parse("[0, 0, 1, 1]"));
    EXPECT_FALSE(w[2].contains("ceil_mode"));  // defaults are not written
    EXPECT_EQ(buildNet(R"({"input": [1, 5, 5], "layers": [
        {"type": "MaxPool2d", "kernel": 2, "ceil_mode": true}]})")
                  .outputShapes()[0],
              Shape({1, 1, 3, 3}));
    const std::string e = test::modelErrorOf(R"({"input": [1, 5, 5], "layers": [
        {"type": "MaxPool2d", "name": "mp", "kernel": 2, "ceil_mode": 1}]})");
    EXPECT_NE(e.find("layer 0 'mp' (MaxPool2d): \"ceil_mode\" must be true or false"),
              std::string::npos)
        << e;
    EXPECT_THROW(MaxPool2d(Window2d{2, 2, 2, 2, 0, 0, 2, 2}), ModelError);  // no dilation
}

}  // namespace ll
