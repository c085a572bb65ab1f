#include "support/check.h"

#include <array>
#include <cmath>

#include "core/analysis/cost.h"
#include "core/layers/conv2d.h"
#include "core/layers/conv_kernels.h"
#include "core/random.h"
#include "support/round_trip.h"

namespace ll {

namespace {
Tensor oneToNine() {
    return Tensor({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
}

Tensor ramp(const Shape& s, float scale, float offset) {
    Tensor t(s);
    for (std::int64_t i = 0; i < t.numel(); ++i)
        t[i] = static_cast<float>(i) * scale + offset;
    return t;
}

Tensor randomTensor(const Shape& s, Rng& rng) {
    Tensor t(s);
    for (std::int64_t i = 0; i < t.numel(); ++i)
        t[i] = rng.normal();
    return t;
}

Window2d window(int k, int s, int p, int d = 1) {
    return Window2d{k, k, s, s, p, p, d, d};
}

// [top, left, bottom, right] padding.
Window2d padded(Window2d w, int top, int left, int bottom, int right) {
    w.ph = top, w.pw = left, w.pb = bottom, w.pr = right;
    return w;
}

void expectNear(const Tensor& got, const std::vector<float>& want, float tol = 1e-5f) {
    ASSERT_EQ(got.numel(), static_cast<std::int64_t>(want.size()));
    for (std::size_t i = 0; i < want.size(); ++i)
        EXPECT_NEAR(got[static_cast<std::int64_t>(i)], want[i], tol) << "at " << i;
}
}  // namespace

TEST(Conv2d, GoldenForwardNoPadding) {
    Conv2d conv(1, 1, {2, 2, 1, 1, 0, 0});
    conv.weight().value = Tensor({1, 1, 2, 2}, {1, 0, 0, -1});
    conv.bias().value = Tensor({1}, {0.5f});
    Tensor y;
    conv.forward(oneToNine(), y, Mode::Eval);
    ASSERT_EQ(y.shape(), Shape({1, 1, 2, 2}));
    for (int i = 0; i < 4; ++i)
        EXPECT_FLOAT_EQ(y[i], -3.5f);  // x[i][j] - x[i+1][j+1] + 0.5
}

TEST(Conv2d, GoldenForwardPaddingAndStride) {
    Conv2d conv(1, 1, {2, 2, 2, 2, 1, 1});
    conv.weight().value = Tensor({1, 1, 2, 2}, {1, 0, 0, -1});
    conv.bias().value = Tensor({1}, {0.5f});
    Tensor y;
    conv.forward(oneToNine(), y, Mode::Eval);
    ASSERT_EQ(y.shape(), Shape({1, 1, 2, 2}));  // floor((3 + 2 - 2) / 2) + 1 = 2
    EXPECT_FLOAT_EQ(y[0], -0.5f);               // 0 - x00 + 0.5
    EXPECT_FLOAT_EQ(y[1], -2.5f);               // 0 - x02 + 0.5
    EXPECT_FLOAT_EQ(y[2], -6.5f);               // 0 - x20 + 0.5
    EXPECT_FLOAT_EQ(y[3], -3.5f);               // x11 - x22 + 0.5
}

// im2col and its inverse against their definition, element by element: col[(c,ki,kj)][(oh,ow)] =
// x[c][oh·sh − ph + ki·dh][ow·sw − pw + kj·dw], 0 outside. Outputs of at most 16 take a path of
// their own (the plane copied into its border), stride-1 "same width" geometries a row-block copy
// path, the others the row-by-row one; all three are covered, with rows `ld` apart.
TEST(Conv2d, Im2colAndCol2imFollowTheirDefinition) {
    struct G {
        int C, H, W, kh, kw, sh, sw, ph, pw, pb, pr, dh, dw;
    };
    const std::vector<G> cases = {
        {3, 6, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},  // same width: the block copy
        {2, 5, 5, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1},  // 5×5, same
        {2, 6, 6, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2},  // dilated, same
        {1, 4, 5, 3, 3, 1, 1, 0, 0, 2, 2, 1, 1},  // asymmetric: all padding at the end
        {1, 4, 5, 3, 3, 1, 1, 2, 2, 0, 0, 1, 1},  // asymmetric: all at the start
        {2, 3, 4, 3, 1, 1, 1, 1, 0, 1, 0, 1, 1},  // kw = 1, same width
        {1, 2, 2, 3, 3, 1, 1, 2, 2, 0, 0, 1, 1},  // kernel rows wholly in the padding
        {2, 7, 6, 3, 2, 2, 1, 1, 0, 1, 1, 1, 1},  // strided rows: the row-by-row path
        {2, 5, 5, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1},  // valid: narrower output (small: 3×3)
        {4, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},  // small: VGG's 2×2 maps
        {2, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},  // small: 4×4, same
        {2, 7, 8, 3, 3, 2, 2, 1, 0, 1, 1, 1, 1},  // small: strided, asymmetric, 4×4 out
        {1, 6, 6, 3, 2, 1, 2, 2, 1, 0, 1, 2, 3},  // small: dilated, strided columns, 4×3 out
    };
    Rng rng(11);
    for (const G& c : cases) {
        ConvGeometry g;
        g.C = c.C, g.H = c.H, g.W = c.W, g.kh = c.kh, g.kw = c.kw, g.sh = c.sh, g.sw = c.sw;
        g.ph = c.ph, g.pw = c.pw, g.pb = c.pb, g.pr = c.pr, g.dh = c.dh, g.dw = c.dw, g.K = 1;
        g.Ho = slidingOutputSize(g.H, g.kh, g.sh, g.ph, g.pb, g.dh);
        g.Wo = slidingOutputSize(g.W, g.kw, g.sw, g.pw, g.pr, g.dw);
        SCOPED_TRACE(strCat("C", g.C, " ", g.H, "x", g.W, " k", g.kh, "x", g.kw, " s", g.sh, ",",
                            g.sw, " p", g.ph, ",", g.pw, ",", g.pb, ",", g.pr, " d", g.dh));
        std::vector<float> x(static_cast<std::size_t>(g.C) * g.H * g.W);
        for (float& v : x)
            v = rng.uniform(-1.0f, 1.0f);
        const int P = g.Ho * g.Wo, ld = P + 3;  // rows of col 3 floats apart beyond the row
        std::vector<float> col(static_cast<std::size_t>(g.colRows()) * ld, 99.0f);
        im2col(x.data(), g, col.data(), ld);
        std::vector<float> dx(x.size(), 0.0f), want(x.size(), 0.0f);
        for (int ch = 0; ch < g.C; ++ch)
            for (int ki = 0; ki < g.kh; ++ki)
                for (int kj = 0; kj < g.kw; ++kj) {
                    const int r = (ch * g.kh + ki) * g.kw + kj;
                    for (int oh = 0; oh < g.Ho; ++oh)
                        for (int ow = 0; ow < g.Wo; ++ow) {
                            const int ih = oh * g.sh - g.ph + ki * g.dh;
                            const int iw = ow * g.sw - g.pw + kj * g.dw;
                            const bool in = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W;
                            const float v = in ? x[(ch * g.H + ih) * g.W + iw] : 0.0f;
                            ASSERT_EQ(col[static_cast<std::size_t>(r) * ld + oh * g.Wo + ow], v)
                                << "row " << r << " at " << oh << "," << ow;
                            if (in) {
                                want[(ch * g.H + ih) * g.W + iw] +=
                                    static_cast<float>(r + 1) * 0.5f +
                                    static_cast<float>(oh * g.Wo + ow);
                            }
                        }
                    EXPECT_EQ(col[static_cast<std::size_t>(r) * ld + P], 99.0f)
                        << "wrote past row " << r;
                }
        // col2imAdd of a column matrix whose every entry is distinct: each lands where it was read.
        for (int r = 0; r < g.colRows(); ++r)
            for (int p = 0; p < P; ++p)
                col[static_cast<std::size_t>(r) * ld + p] =
                    static_cast<float>(r + 1) * 0.5f + static_cast<float>(p);
        col2imAdd(col.data(), g, dx.data(), ld);
        for (std::size_t i = 0; i < dx.size(); ++i)
            ASSERT_FLOAT_EQ(dx[i], want[i]) << "input element " << i;
    }
}

TEST(Conv2d, GradientsAtSeveralShapes) {
    struct C {
        int cin, cout;
        Window2d w;
        Shape in;
        bool bias;
    };
    const std::vector<C> cases = {
        {1, 2, {3, 3, 1, 1, 0, 0}, {2, 1, 5, 5}, true},
        {3, 4, {3, 3, 1, 1, 1, 1}, {2, 3, 4, 4}, true},   // "same" padding
        {2, 3, {3, 2, 2, 1, 1, 0}, {2, 2, 7, 6}, true},   // non-square kernel, uneven stride
        {2, 2, {5, 5, 3, 3, 2, 2}, {1, 2, 8, 8}, false},  // stride 3 leaves columns unused
        {4, 3, {1, 1, 1, 1, 0, 0}, {2, 4, 3, 3}, true},   // pointwise (no im2col path)
        {1, 1, {3, 3, 1, 1, 2, 2}, {1, 1, 2, 2}, true},   // padding larger than the image edge
        // Batches larger than the thread count: samples share one GEMM per group (small maps).
        {2, 3, {3, 3, 1, 1, 1, 1}, {5, 2, 4, 4}, true},
        {3, 2, {1, 1, 1, 1, 0, 0}, {7, 3, 2, 2}, true},  // grouped pointwise
    };
    for (const C& c : cases) {
        Conv2d conv(c.cin, c.cout, c.w, c.bias);
        SCOPED_TRACE(conv.describe());
        test::expectGradientsMatch(conv, c.in);
    }
}

TEST(Conv2d, SameResultWithOneOrTwoThreadsAndBatchSplit) {
    // The batch-parallel kernel must not mix samples: sample n's output depends on sample n only.
    Conv2d conv(2, 3, {3, 3, 1, 1, 1, 1});
    Rng rng(5);
    conv.resetParameters(rng);
    Tensor x({4, 2, 6, 6});
    for (std::int64_t i = 0; i < x.numel(); ++i)
        x[i] = rng.normal();
    Tensor yAll, yOne;
    conv.forward(x, yAll, Mode::Eval);
    Tensor x2({1, 2, 6, 6});
    std::copy(x.data() + 2 * 72, x.data() + 3 * 72, x2.data());
    conv.forward(x2, yOne, Mode::Eval);
    for (std::int64_t i = 0; i < yOne.numel(); ++i)
        EXPECT_FLOAT_EQ(yOne[i], yAll[2 * 108 + i]);
}

TEST(Conv2d, BadInputsNameTheLayer) {
    Conv2d conv(3, 8, {5, 5, 1, 1, 0, 0});
    conv.setName("conv1");
    Tensor y;
    EXPECT_THROW(conv.forward(Tensor({2, 1, 8, 8}), y, Mode::Train), ShapeError);  // channels
    EXPECT_THROW(conv.forward(Tensor({2, 3, 4, 4}), y, Mode::Train), ShapeError);  // too small
    EXPECT_THROW(conv.forward(Tensor({2, 3, 8}), y, Mode::Train), ShapeError);     // rank
    EXPECT_THROW(conv.forward(Tensor({0, 3, 8, 8}), y, Mode::Train), ShapeError);  // empty batch
    try {
        conv.forward(Tensor({2, 1, 8, 8}), y, Mode::Train);
    } catch (const ShapeError& e) {
        EXPECT_NE(std::string(e.what()).find("'conv1' (Conv2d 3→8"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("(2, 1, 8, 8)"), std::string::npos) << e.what();
    }
    EXPECT_THROW(Conv2d(3, 8, {0, 3, 1, 1, 0, 0}), ModelError);
}

// ---- groups, dilation, asymmetric padding ----------------------------------------------------

TEST(Conv2d, GroupedGoldenAgainstPyTorch) {
    // torch 1.13: x = arange(36).reshape(1,4,3,3)/4 − 4, w = (arange(16) % 5 − 2).reshape(2,2,2,2)
    // F.conv2d(x, w, groups=2): output 0 sees input channels 0-1, output 1 channels 2-3.
    Conv2d conv(4, 2, window(2, 1, 0), false, 2);
    ASSERT_EQ(conv.weight().value.shape(), Shape({2, 2, 2, 2}));  // (Cout, Cin/groups, kh, kw)
    for (int i = 0; i < 16; ++i)
        conv.weight().value[i] = static_cast<float>(i % 5 - 2);
    Tensor y;
    conv.forward(ramp({1, 4, 3, 3}, 0.25f, -4.0f), y, Mode::Eval);
    ASSERT_EQ(y.shape(), Shape({1, 2, 2, 2}));
    expectNear(y, {9.25f, 8.5f, 7, 6.25f, 0.5f, 0.75f, 1.25f, 1.5f});
}

TEST(Conv2d, DilatedGoldenAgainstPyTorch) {
    // torch 1.13: F.conv2d(arange(25).reshape(1,1,5,5), arange(1,10).reshape(1,1,3,3),
    // padding=1, dilation=2): the taps are two pixels apart, the window spans 5.
    Conv2d conv(1, 1, window(3, 1, 1, 2), false);
    conv.weight().value = ramp({1, 1, 3, 3}, 1, 1);
    Tensor y;
    conv.forward(ramp({1, 1, 5, 5}, 1, 0), y, Mode::Eval);
    ASSERT_EQ(y.shape(), Shape({1, 1, 3, 3}));  // 5 + 2 − 5 + 1
    expectNear(y, {368, 521, 320, 519, 732, 447, 224, 305, 176});
    // By hand, the centre: Σ w[i][j]·x[1 + 2i − 1... ] = taps at rows/cols {0, 2, 4} of x.
    float centre = 0;
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j)
            centre += static_cast<float>((i * 3 + j + 1) * (2 * i * 5 + 2 * j));
    EXPECT_EQ(y[4], centre);
}

TEST(Conv2d, AsymmetricPaddingGoldenAgainstPyTorch) {
    // torch 1.13: F.conv2d(F.pad(x, (1, 1, 0, 2)), w) — padding top 0, left 1, bottom 2, right 1.
    Conv2d conv(1, 1, padded(window(2, 1, 0), 0, 1, 2, 1), false);
    conv.weight().value = Tensor({1, 1, 2, 2}, {1, 0, 0, -1});
    Tensor y;
    conv.forward(oneToNine(), y, Mode::Eval);
    ASSERT_EQ(y.shape(), Shape({1, 1, 4, 4}));  // (3 + 0 + 2 − 2) + 1, (3 + 1 + 1 − 2) + 1
    expectNear(y, {-4, -4, -4, 3, -7, -4, -4, 6, 0, 7, 8, 9, 0, 0, 0, 0});
}

TEST(Conv2d, DepthwiseGoldenAgainstPyTorch) {
    // torch 1.13: x = arange(32).reshape(1,2,4,4)/8 − 1, w = (arange(18) − 8).reshape(2,1,3,3)/4,
    // b = [0.5, −1]; F.conv2d(x, w, b, padding=1, groups=2).
    Conv2d conv(2, 2, window(3, 1, 1), true, 2);
    ASSERT_TRUE(conv.isDepthwise());
    ASSERT_EQ(conv.weight().value.shape(), Shape({2, 1, 3, 3}));
    conv.weight().value = ramp({2, 1, 3, 3}, 0.25f, -2.0f);
    conv.bias().value = Tensor({2}, {0.5f, -1.0f});
    Tensor y;
    conv.forward(ramp({1, 2, 4, 4}, 0.125f, -1.0f), y, Mode::Eval);
    ASSERT_EQ(y.shape(), Shape({1, 2, 4, 4}));
    expectNear(
        y, {2.28125f, 3.53125f,  3.0625f,  2.21875f,  4.34375f,  6.3125f,   5.1875f,  3.3125f,
            1.71875f, 1.8125f,   0.6875f,  -0.0625f,  -0.65625f, -1.90625f, -2.9375f, -2.46875f,
            8.59375f, 13.09375f, 14.3125f, 8.78125f,  13.4375f,  19.71875f, 21.125f,  12.78125f,
            17.5625f, 25.34375f, 26.75f,   16.15625f, 8.65625f,  12.15625f, 12.8125f, 7.09375f});
    // By hand, output (0, 0, 0): the padded window's lower-right 2×2 taps w[1][1] = −1,
    // w[1][2] = −0.75, w[2][1] = −0.25, w[2][2] = 0 on x00 = −1, x01 = −0.875, x10 = −0.5,
    // x11 = −0.375, plus the bias 0.5.
    EXPECT_EQ(y[0], 0.5f + 1.0f + 0.65625f + 0.125f + 0.0f);
}

}  // namespace ll

namespace ll {

namespace {

// The dense convolution (groups = 1) whose kernel is `grouped`'s with zeros between the groups:
// the im2col + GEMM path every grouped and depthwise result is checked against.
Conv2d denseEquivalent(Conv2d& grouped) {
    const int cin = grouped.inChannels(), cout = grouped.outChannels(), G = grouped.groups();
    const int cg = cin / G, kg = cout / G, taps = grouped.window().kh * grouped.window().kw;
    Conv2d dense(cin, cout, grouped.window(), grouped.hasBias());
    dense.weight().value.setZero();
    for (int o = 0; o < cout; ++o)
        for (int c = 0; c < cg; ++c)
            for (int t = 0; t < taps; ++t)
                dense.weight()
                    .value[(static_cast<std::int64_t>(o) * cin + o / kg * cg + c) * taps + t] =
                    grouped.weight().value[(o * cg + c) * taps + t];
    if (grouped.hasBias()) dense.bias().value = grouped.bias().value;
    return dense;
}

// Forward, dx, dW and db of `grouped` equal those of its dense equivalent.
void expectSameAsDense(Conv2d& grouped, const Shape& in) {
    SCOPED_TRACE(grouped.describe() + " on " + in.str());
    Rng rng(9);
    grouped.resetParameters(rng);
    Conv2d dense = denseEquivalent(grouped);
    const Tensor x = randomTensor(in, rng);
    Tensor yg, yd, dxg, dxd;
    grouped.forward(x, yg, Mode::Train);
    dense.forward(x, yd, Mode::Train);
    ASSERT_EQ(yg.shape(), yd.shape());
    for (std::int64_t i = 0; i < yd.numel(); ++i)
        ASSERT_NEAR(yg[i], yd[i], 1e-4f * (1 + std::abs(yd[i]))) << "y at " << i;
    const Tensor dy = randomTensor(yd.shape(), rng);
    grouped.weight().ensureGrad();
    dense.weight().ensureGrad();
    grouped.backward(x, yg, dy, &dxg);
    dense.backward(x, yd, dy, &dxd);
    for (std::int64_t i = 0; i < dxd.numel(); ++i)
        ASSERT_NEAR(dxg[i], dxd[i], 1e-4f * (1 + std::abs(dxd[i]))) << "dx at " << i;
    const int cin = grouped.inChannels(), G = grouped.groups();
    const int cg = cin / G, kg = grouped.outChannels() / G;
    const int taps = grouped.window().kh * grouped.window().kw;
    for (int o = 0; o < grouped.outChannels(); ++o)
        for (int c = 0; c < cg; ++c)
            for (int t = 0; t < taps; ++t) {
                const float want =
                    dense.weight()
                        .grad[(static_cast<std::int64_t>(o) * cin + o / kg * cg + c) * taps + t];
                ASSERT_NEAR(grouped.weight().grad[(o * cg + c) * taps + t], want,
                            1e-3f * (1 + std::abs(want)))
                    << "dW at " << o << "," << c << "," << t;
            }
    if (grouped.hasBias()) {
        for (int o = 0; o < grouped.outChannels(); ++o)
            ASSERT_NEAR(grouped.bias().grad[o], dense.bias().grad[o], 1e-3f) << "db at " << o;
    }
}

}  // namespace

TEST(Conv2d, GroupedAndDepthwiseEqualTheDenseConvolutionWithZerosBetweenGroups) {
    struct C {
        int cin, cout, groups;
        Window2d w;
        Shape in;
    };
    const std::vector<C> cases = {
        // Depthwise (direct kernels): 3×3 and 5×5 unrolled, other sizes generic; stride 1 gathers
        // dx, larger strides scatter it.
        {3, 3, 3, window(3, 1, 1), {2, 3, 7, 6}},
        {4, 4, 4, window(3, 1, 0), {2, 4, 6, 6}},  // no padding: x read in place
        {2, 4, 2, window(3, 2, 1), {2, 2, 9, 8}},  // multiplier 2, stride 2
        // Stride 2, 3×3 and 5×5: the plane split by column parity, odd and even padded widths.
        {3, 3, 3, window(3, 2, 1), {2, 3, 7, 9}},
        {2, 2, 2, window(5, 2, 2), {1, 2, 11, 12}},
        {2, 2, 2, padded(window(3, 2, 0), 0, 1, 1, 0), {2, 2, 8, 10}},
        {2, 2, 2, window(5, 1, 4, 2), {1, 2, 9, 9}},          // 5×5 dilated
        {3, 3, 3, window(7, 1, 3), {1, 3, 8, 9}},             // 7×7: the generic kernel
        {2, 2, 2, window(3, 1, 3), {1, 2, 4, 4}},             // padding beyond the kernel's reach
        {2, 6, 2, Window2d{3, 2, 1, 2, 1, 0}, {2, 2, 7, 7}},  // non-square, stride 1×2
        {2, 2, 2, padded(Window2d{3, 2, 1, 1, 0, 0}, 0, 1, 2, 0), {1, 2, 5, 6}},
        {3, 3, 3, padded(window(3, 1, 0, 2), 2, 1, 0, 3), {2, 3, 6, 5}},
        // Grouped (im2col + GEMM per group).
        {4, 6, 2, window(3, 1, 1), {2, 4, 5, 5}},
        {6, 4, 2, window(1, 1, 0), {3, 6, 3, 3}},  // pointwise
        {4, 4, 2, window(3, 1, 1), {5, 4, 4, 4}},  // small maps: samples share one GEMM
        {6, 9, 3, padded(window(3, 2, 0, 2), 1, 2, 2, 0), {2, 6, 9, 8}},
    };
    for (const C& c : cases) {
        Conv2d conv(c.cin, c.cout, c.w, true, c.groups);
        expectSameAsDense(conv, c.in);
    }
    Conv2d noBias(3, 3, window(3, 1, 1), false, 3);
    expectSameAsDense(noBias, {2, 3, 5, 5});
}

TEST(Conv2d, GradientsOfGroupedDepthwiseDilatedAndAsymmetricPadding) {
    struct C {
        int cin, cout, groups;
        Window2d w;
        Shape in;
        bool bias;
    };
    const std::vector<C> cases = {
        {4, 6, 2, window(3, 1, 1), {2, 4, 5, 5}, true},     // grouped
        {4, 4, 2, window(1, 1, 0), {3, 4, 3, 3}, true},     // grouped pointwise
        {3, 3, 3, window(3, 1, 1), {2, 3, 5, 5}, true},     // depthwise
        {2, 4, 2, window(3, 2, 1), {2, 2, 7, 6}, false},    // depthwise ×2, stride 2
        {2, 2, 2, window(3, 1, 2, 2), {1, 2, 6, 6}, true},  // depthwise dilated
        {2, 3, 1, window(3, 1, 1, 2), {2, 2, 6, 7}, true},  // dense dilated
        {2, 2, 1, padded(window(3, 1, 0), 0, 1, 2, 1), {2, 2, 5, 5}, true},  // dense asymmetric
        {2, 2, 2, padded(window(3, 1, 0), 2, 0, 1, 2), {1, 2, 5, 4}, true},  // depthwise asym.
    };
    for (const C& c : cases) {
        Conv2d conv(c.cin, c.cout, c.w, c.bias, c.groups);
        SCOPED_TRACE(conv.describe());
        test::expectGradientsMatch(conv, c.in);
    }
}

TEST(Conv2d, DepthwiseCostAndReceptiveFieldByHand) {
    const CostTable t = computeCosts(buildNet(R"({"input": [8, 16, 16], "layers": [
        {"type": "Conv2d", "name": "dw", "out": 16, "kernel": 3, "stride": 2, "padding": 1,
         "groups": 8},
        {"type": "Conv2d", "name": "dil", "out": 16, "kernel": 3, "padding": 2, "dilation": 2,
         "groups": 16},
        {"type": "Conv2d", "name": "pw", "out": 32, "kernel": 1, "groups": 4}]})"));
    auto row = [&t](const std::string& name) -> const CostRow& {
        for (const CostRow& r : t.rows)
            if (r.name == name) return r;
        throw std::runtime_error("no row " + name);
    };
    // dw: depthwise with 2 outputs per input channel, 16×8×8 outputs of (8/8)·3·3 = 9 products;
    // a dense 8→16 convolution would do 8 times as many.
    EXPECT_EQ(row("dw").outputShape, Shape({16, 8, 8}));
    EXPECT_EQ(row("dw").cost.weights, 16 * 1 * 3 * 3);
    EXPECT_EQ(row("dw").cost.biases, 16);
    EXPECT_EQ(row("dw").cost.multiplications, 9 * 16 * 8 * 8);  // 9,216
    EXPECT_EQ(row("dw").detail, "8→16, k3×3, s2, p1, g8");
    EXPECT_EQ(row("dil").cost.weights, 144);
    EXPECT_EQ(row("dil").cost.multiplications, 9 * 16 * 8 * 8);
    EXPECT_EQ(row("dil").detail, "16→16, k3×3, s1, p2, d2, g16");
    EXPECT_EQ(row("pw").cost.weights, 32 * (16 / 4));
    EXPECT_EQ(row("pw").cost.multiplications, 4 * 32 * 8 * 8);
    // Receptive fields: dw sees 3 pixels, 2 apart, from −1; the dilated 3×3 adds (3 − 1)·2 taps
    // of jump 2: 3 + 8 = 11, starting 2·2 further out: −5; the 1×1 keeps it.
    for (const char* name : {"dw", "dil", "pw"})
        ASSERT_TRUE(row(name).rf.valid) << name;
    EXPECT_EQ(row("dw").rf.size, (std::array<int, 2>{3, 3}));
    EXPECT_EQ(row("dw").rf.jump, (std::array<int, 2>{2, 2}));
    EXPECT_EQ(row("dw").rf.start, (std::array<int, 2>{-1, -1}));
    EXPECT_EQ(row("dil").rf.size, (std::array<int, 2>{11, 11}));
    EXPECT_EQ(row("dil").rf.jump, (std::array<int, 2>{2, 2}));
    EXPECT_EQ(row("dil").rf.start, (std::array<int, 2>{-5, -5}));
    EXPECT_EQ(row("pw").rf.size, (std::array<int, 2>{11, 11}));
    EXPECT_EQ(t.totals.params(), (144 + 16) + (144 + 16) + (128 + 32));
}

TEST(Conv2d, ModelFileRoundTripWritesOnlyWhatDiffersFromTheDefaults) {
    const nlohmann::json w = test::expectRoundTrip(R"({"input": [4, 9, 8], "layers": [
        {"type": "Conv2d", "name": "plain", "out": 4, "kernel": 3, "padding": 1},
        {"type": "Conv2d", "name": "dw", "out": 8, "kernel": 3, "stride": 2, "padding": 1,
         "groups": 4},
        {"type": "Conv2d", "name": "dil", "out": 8, "kernel": [3, 1], "dilation": [2, 1],
         "padding": [0, 1, 2, 1], "groups": 2},
        {"type": "Conv2d", "name": "even", "out": 8, "kernel": 2, "padding": "same"}]})");
    ASSERT_EQ(w.size(), 4u);
    // A symmetric window is written as before (existing model files write back unchanged).
    EXPECT_EQ(w[0]["padding"], 1);
    EXPECT_FALSE(w[0].contains("dilation"));
    EXPECT_FALSE(w[0].contains("groups"));
    EXPECT_EQ(w[1]["groups"], 4);
    EXPECT_EQ(w[1]["stride"], 2);
    EXPECT_EQ(w[2]["dilation"], nlohmann::json::parse("[2, 1]"));
    EXPECT_EQ(w[2]["padding"], nlohmann::json::parse("[0, 1, 2, 1]"));
    // "same" for an even kernel pads the extra row and column at the bottom and right (PyTorch).
    EXPECT_EQ(w[3]["padding"], nlohmann::json::parse("[0, 0, 1, 1]"));
    const Net net = buildNet(R"({"input": [1, 4, 4], "layers": [
        {"type": "Conv2d", "out": 1, "kernel": 2, "padding": "same"}]})");
    EXPECT_EQ(net.outputShapes()[0], Shape({1, 1, 4, 4}));
}

TEST(Conv2d, SameEvenKernelPaddingAgainstPyTorch) {
    // torch 1.13: F.conv2d(arange(1, 17).reshape(1,1,4,4), ones(1,1,2,2), padding='same').
    Net net = buildNet(R"({"input": [1, 4, 4], "layers": [
        {"type": "Conv2d", "out": 1, "kernel": 2, "padding": "same", "bias": false}]})");
    dynamic_cast<Conv2d&>(net.layer(0)).weight().value = Tensor({1, 1, 2, 2}, {1, 1, 1, 1});
    const Tensor& y = net.forward(ramp({1, 1, 4, 4}, 1, 1), Mode::Eval);
    expectNear(y, {14, 18, 22, 12, 30, 34, 38, 20, 46, 50, 54, 28, 27, 29, 31, 16});
}

TEST(Conv2d, BadGroupsDilationAndPaddingAreModelErrorsNamingTheLayer) {
    auto error = [](const std::string& layer) {
        return test::modelErrorOf(R"({"input": [4, 8, 8], "layers": [)" + layer + "]}");
    };
    std::string e = error(R"({"type": "Conv2d", "name": "c", "out": 6, "kernel": 3, "groups": 3})");
    EXPECT_NE(e.find("layer 0 'c' (Conv2d)"), std::string::npos) << e;
    EXPECT_NE(e.find("groups (3) must be positive and divide both the input channels (4)"),
              std::string::npos)
        << e;
    e = error(R"({"type": "Conv2d", "name": "c", "out": 6, "kernel": 3, "groups": 4})");
    EXPECT_NE(e.find("output channels (6)"), std::string::npos) << e;  // 4 does not divide 6
    e = error(R"({"type": "Conv2d", "name": "c", "out": 4, "kernel": 3, "groups": 0})");
    EXPECT_NE(e.find("groups (0)"), std::string::npos) << e;
    e = error(R"({"type": "Conv2d", "name": "d", "out": 4, "kernel": 3, "dilation": 0})");
    EXPECT_NE(e.find("layer 0 'd' (Conv2d)"), std::string::npos) << e;
    EXPECT_NE(e.find("dilation must be positive"), std::string::npos) << e;
    e = error(R"({"type": "Conv2d", "name": "p", "out": 4, "kernel": 3, "padding": [1, -1]})");
    EXPECT_NE(e.find("layer 0 'p' (Conv2d)"), std::string::npos) << e;
    EXPECT_NE(e.find("padding must be >= 0"), std::string::npos) << e;
    e = error(
        R"({"type": "Conv2d", "name": "p", "out": 4, "kernel": 3, "padding": [0, 0, -2, 0]})");
    EXPECT_NE(e.find("padding must be >= 0, got k3×3, s1, p[0,0,-2,0]"), std::string::npos) << e;
    e = error(R"({"type": "Conv2d", "name": "p", "out": 4, "kernel": 3, "padding": [1, 1, 1]})");
    EXPECT_NE(e.find("[top, left, bottom, right]"), std::string::npos) << e;
    e = error(R"({"type": "Conv2d", "name": "s", "out": 4, "kernel": 3, "stride": 2,
                  "padding": "same"})");
    EXPECT_NE(e.find("\"same\" padding needs stride 1"), std::string::npos) << e;
    e = error(R"({"type": "Conv2d", "name": "k", "out": 4, "kernel": 3, "dilation": 40000})");
    EXPECT_NE(e.find("span of the dilated kernel must be at most 65535"), std::string::npos) << e;
    e = error(R"({"type": "Conv2d", "name": "k", "out": 4, "kernel": 3, "dilation": 4})");
    EXPECT_NE(e.find("does not fit"), std::string::npos) << e;  // spans 9 > 8
    EXPECT_THROW(Conv2d(4, 4, window(3, 1, 1), true, 3), ModelError);
}

}  // namespace ll
